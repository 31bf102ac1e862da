package syncer

import (
	"context"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// creditDoc is what a credit, a charge reversal or a write-off books: a
// CreditMemo for the customer, applied to invoices by a zero-amount
// Payment that links the CreditMemo and each Invoice (Intuit's own way of
// applying credits; QBO's UI does the same).
type creditDoc struct {
	tenant       string
	kind         billing.Kind
	id           string
	customerID   string // QBO id
	date         string
	currency     string
	rate         billing.ExchangeRate
	lines        []creditLine
	applications []billing.Application
	invoices     map[string]string // billing invoice id → QBO id
}

type creditLine struct {
	description string
	amount      int64
	itemID      string
}

func mapCreditMemo(d creditDoc) (qbo.CreditMemo, error) {
	out := qbo.CreditMemo{TxnDate: d.date, CustomerRef: ref(d.customerID), PrivateNote: d.mark().String()}
	out.CurrencyRef, out.ExchangeRate = currency(d.currency, d.rate)
	for _, l := range d.lines {
		amt, err := amount(l.amount, d.currency)
		if err != nil {
			return qbo.CreditMemo{}, err
		}
		out.Line = append(out.Line, qbo.Line{Amount: amt, Description: truncate(l.description, 4000),
			DetailType: qbo.SalesItemLine, SalesItemLineDetail: &qbo.SalesItemLineDetail{
				ItemRef: ref(l.itemID), Qty: "1", UnitPrice: amt, TaxCodeRef: ref("NON")}})
	}
	return out, nil
}

func (d creditDoc) mark() mark { return mark{tenant: d.tenant, kind: d.kind, id: d.id} }

// applicationMark tags the zero-amount payment that applies a credit.
func (d creditDoc) applicationMark() mark {
	m := d.mark()
	m.application = true
	return m
}

// mapApplication maps a credit's applications to the zero-amount Payment
// that applies creditMemoID to the invoices.
func mapApplication(d creditDoc, creditMemoID string) (qbo.Payment, error) {
	out := qbo.Payment{TxnDate: d.date, CustomerRef: ref(d.customerID), TotalAmt: "0",
		PrivateNote: d.applicationMark().String()}
	out.CurrencyRef, out.ExchangeRate = currency(d.currency, d.rate)
	var applied int64
	for _, a := range d.applications {
		line, err := linkedLine(a.Amount, d.currency, d.invoices[a.InvoiceID], "Invoice")
		if err != nil {
			return qbo.Payment{}, err
		}
		out.Line = append(out.Line, line)
		applied += a.Amount
	}
	line, err := linkedLine(applied, d.currency, creditMemoID, "CreditMemo")
	if err != nil {
		return qbo.Payment{}, err
	}
	out.Line = append(out.Line, line)
	return out, nil
}

// syncCreditDoc converges the CreditMemo and its application payment.
func (r *run) syncCreditDoc(ctx context.Context, d creditDoc) (record.Link, error) {
	main := billing.Ref{Kind: d.kind, ID: d.id}
	app := billing.Ref{Kind: d.kind, ID: d.id + "#application"}
	findMemo := func(ctx context.Context) (qbo.CreditMemo, bool, error) {
		return findMarked(ctx, r, "select * from CreditMemo where TxnDate = '"+d.date+"'",
			d.mark(), func(v qbo.CreditMemo) string { return v.PrivateNote })
	}
	findApp := func(ctx context.Context) (qbo.Payment, bool, error) {
		return findMarked(ctx, r, "select * from Payment where TxnDate = '"+d.date+"'",
			d.applicationMark(), func(v qbo.Payment) string { return v.PrivateNote })
	}
	if r.st.Action == billing.ActionVoided {
		// Release the invoices first: QBO refuses to void a credit memo
		// that is still applied.
		if _, err := voidLinked(ctx, r, app, findApp); err != nil {
			return record.Link{}, err
		}
		// releaseMemo deletes every payment QuickBooks made to apply the
		// memo (its LinkedTxn names them) on the read the void is sent
		// at: the void leaves nothing empty behind, so the customer's
		// payments are not searched again.
		return voidReleased(ctx, r, main, findMemo, r.releaseMemo)
	}
	memo, err := mapCreditMemo(d)
	if err != nil {
		return record.Link{}, err
	}
	link, err := upsert(ctx, r, target[qbo.CreditMemo]{key: main, payload: memo, find: findMemo})
	if err != nil {
		return link, err
	}
	if len(d.applications) == 0 {
		_, err := voidLinked(ctx, r, app, findApp)
		return link, err
	}
	pay, err := mapApplication(d, link.QBOID)
	if err != nil {
		return link, err
	}
	_, err = upsert(ctx, r, target[qbo.Payment]{key: app, payload: pay, find: findApp})
	return link, err
}

func (r *run) syncCredit(ctx context.Context, c *billing.Credit) (record.Link, error) {
	return r.syncCreditDoc(ctx, creditOf(r.st.Tenant, c, r.tenant.Settings, r.qboID))
}

func (r *run) syncChargeReversal(ctx context.Context, c *billing.ChargeReversal) (record.Link, error) {
	item, err := r.reversedItem(ctx, c)
	if err != nil {
		return record.Link{}, err
	}
	return r.syncCreditDoc(ctx, chargeReversalOf(r.st.Tenant, c, item, r.qboID))
}

func (r *run) syncWriteOff(ctx context.Context, w *billing.WriteOff) (record.Link, error) {
	return r.syncCreditDoc(ctx, writeOffOf(r.st.Tenant, w, r.tenant.Settings, r.qboID))
}

// qboIDs names the QBO id of a linked parent ("" when not linked).
type qboIDs func(kind billing.Kind, id string) string

// creditOf is what a credit note books: its lines (or one line of its
// amount), applied as billing applied it.
func creditOf(tenant string, c *billing.Credit, s record.Settings, ids qboIDs) creditDoc {
	d := newCreditDoc(tenant, billing.KindCredit, c.ID, c.CustomerID, c.IssuedOn, c.Currency, c.Applications, ids)
	d.rate = c.ExchangeRate
	for _, l := range c.Lines {
		item := s.DefaultItemID
		if l.ProductID != "" {
			item = ids(billing.KindProduct, l.ProductID)
		}
		d.lines = append(d.lines, creditLine{description: l.Description, amount: l.Amount, itemID: item})
	}
	if len(c.Lines) == 0 {
		d.lines = []creditLine{{description: orDefault(c.Reason, "Credit"), amount: c.Amount, itemID: s.DefaultItemID}}
	}
	return d
}

// chargeReversalOf credits the reversed amount against item (the reversed
// line's) and applies it to the invoice.
func chargeReversalOf(tenant string, c *billing.ChargeReversal, item string, ids qboIDs) creditDoc {
	d := newCreditDoc(tenant, billing.KindChargeReversal, c.ID, c.CustomerID, c.ReversedOn, c.Currency,
		[]billing.Application{{InvoiceID: c.InvoiceID, Amount: c.Amount}}, ids)
	d.rate = c.ExchangeRate
	d.lines = []creditLine{{description: orDefault(c.Reason, "Charge reversal"), amount: c.Amount, itemID: item}}
	return d
}

// writeOffOf credits the written-off amount against the bad-debt item and
// applies it to the invoice.
func writeOffOf(tenant string, w *billing.WriteOff, s record.Settings, ids qboIDs) creditDoc {
	d := newCreditDoc(tenant, billing.KindWriteOff, w.ID, w.CustomerID, w.WrittenOffOn, w.Currency,
		[]billing.Application{{InvoiceID: w.InvoiceID, Amount: w.Amount}}, ids)
	d.rate = w.ExchangeRate
	d.lines = []creditLine{{description: orDefault(w.Reason, "Bad debt write-off"), amount: w.Amount, itemID: s.BadDebtItemID}}
	return d
}

func newCreditDoc(tenant string, kind billing.Kind, id, customerID string, date billing.Date, currency string,
	apps []billing.Application, ids qboIDs) creditDoc {
	d := creditDoc{tenant: tenant, kind: kind, id: id, customerID: ids(billing.KindCustomer, customerID),
		date: date.String(), currency: currency, applications: apps, invoices: map[string]string{}}
	for _, a := range apps {
		d.invoices[a.InvoiceID] = ids(billing.KindInvoice, a.InvoiceID)
	}
	return d
}

// reversedItem is the item of the reversed invoice line, so the reversal
// takes the revenue back from where the charge booked it.
func (r *run) reversedItem(ctx context.Context, c *billing.ChargeReversal) (string, error) {
	item := r.tenant.Settings.DefaultItemID
	if c.LineID == "" {
		return item, nil
	}
	st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, billing.KindInvoice, c.InvoiceID)
	if err != nil {
		return "", err
	}
	ent, err := billing.Decode(billing.KindInvoice, st.Data)
	if err != nil {
		return "", &PermanentError{Reason: "the reversed invoice's stored snapshot cannot be read: " + err.Error()}
	}
	for _, l := range ent.(*billing.Invoice).Lines {
		if l.ID != c.LineID || l.ProductID == "" {
			continue
		}
		pl, err := r.parentLink(ctx, billing.Ref{Kind: billing.KindProduct, ID: l.ProductID})
		if err != nil || !pl.Linked() {
			return item, err
		}
		return pl.QBOID, nil
	}
	return item, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// releaseMemo deletes the payments QBO's automation made to apply credit
// memo id; voiding the memo would leave them behind, empty. It returns
// the SyncToken it read the memo at.
func (r *run) releaseMemo(ctx context.Context, id string) (string, error) {
	memo, err := qbo.Read[qbo.CreditMemo](ctx, r.qbo, r.conn.RealmID, id)
	if err != nil {
		return "", err
	}
	return memo.SyncToken, r.undoAutoApply(ctx, memo.ID, memo.LinkedTxn, false)
}
