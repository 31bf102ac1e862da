package syncer

import (
	"context"
	"maps"
	"slices"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// paymentRefs are the QBO ids a payment's mapping needs.
type paymentRefs struct {
	customerID string
	invoices   map[string]string // billing invoice id → QBO invoice id
	methodID   string
	refunds    []refundLine
}

// refundLine applies part of a payment to a refund's journal entry.
type refundLine struct {
	refundID  string
	journalID string
	amount    int64
}

// mapPayment maps a billing payment to a QBO Payment: one line per
// invoice it pays, one per refund taken off it; the rest is QBO's
// UnappliedAmt, the customer's credit.
func mapPayment(tenant string, p *billing.Payment, s record.Settings, refs paymentRefs) (qbo.Payment, error) {
	total, err := amount(p.Amount, p.Currency)
	if err != nil {
		return qbo.Payment{}, err
	}
	out := qbo.Payment{
		TxnDate: p.ReceivedOn.String(), CustomerRef: ref(refs.customerID), TotalAmt: total,
		PaymentRefNum: truncate(p.Reference, 21), PaymentMethodRef: ref(refs.methodID),
		DepositToAccountRef: ref(s.DepositAccountID), PrivateNote: marker(tenant, billing.KindPayment, p.ID),
	}
	out.CurrencyRef, out.ExchangeRate = currency(p.Currency, p.ExchangeRate)
	for _, a := range p.Applications {
		line, err := linkedLine(a.Amount, p.Currency, refs.invoices[a.InvoiceID], "Invoice")
		if err != nil {
			return qbo.Payment{}, err
		}
		out.Line = append(out.Line, line)
	}
	for _, r := range refs.refunds {
		line, err := linkedLine(r.amount, p.Currency, r.journalID, "JournalEntry")
		if err != nil {
			return qbo.Payment{}, err
		}
		out.Line = append(out.Line, line)
	}
	return out, nil
}

func linkedLine(minor int64, currency, txnID, txnType string) (qbo.Line, error) {
	amt, err := amount(minor, currency)
	if err != nil {
		return qbo.Line{}, err
	}
	return qbo.Line{Amount: amt, LinkedTxn: []qbo.LinkedTxn{{TxnID: txnID, TxnType: txnType}}}, nil
}

// refundLines reads the refunds recorded on a payment's link, in a stable
// order so the payload hash only changes when they do.
func refundLines(l record.Link) ([]refundLine, error) {
	entries, err := l.RefundEntries()
	if err != nil {
		return nil, err
	}
	var out []refundLine
	for _, id := range slices.Sorted(maps.Keys(entries)) {
		e := entries[id]
		out = append(out, refundLine{refundID: id, journalID: e.JournalEntryID, amount: e.Amount})
	}
	return out, nil
}

func (r *run) syncPayment(ctx context.Context, p *billing.Payment) (record.Link, error) {
	stmt := "select * from Payment where TxnDate = '" + p.ReceivedOn.String() + "'"
	own := mark{tenant: r.st.Tenant, kind: billing.KindPayment, id: p.ID}
	if r.st.Action == billing.ActionVoided {
		return voidLinked(ctx, r, billing.Ref{Kind: billing.KindPayment, ID: p.ID},
			func(ctx context.Context) (qbo.Payment, bool, error) {
				return findMarked(ctx, r, stmt, own, func(v qbo.Payment) string { return v.PrivateNote })
			})
	}
	find := func(ctx context.Context) (paymentBody, bool, error) {
		return findMarked(ctx, r, stmt, own, func(v paymentBody) string { return v.PrivateNote })
	}
	link, err := r.link(ctx)
	if err != nil {
		return link, err
	}
	refunds, err := refundLines(link)
	if err != nil {
		return link, err
	}
	refs := paymentRefs{customerID: r.qboID(billing.KindCustomer, p.CustomerID), invoices: map[string]string{},
		methodID: r.tenant.Settings.PaymentMethods[p.Method], refunds: refunds}
	for _, a := range p.Applications {
		refs.invoices[a.InvoiceID] = r.qboID(billing.KindInvoice, a.InvoiceID)
	}
	payload, err := mapPayment(r.st.Tenant, p, r.tenant.Settings, refs)
	if err != nil {
		return record.Link{}, err
	}
	body := paymentBody{Payment: payload, Line: append([]qbo.Line{}, payload.Line...)}
	return upsert(ctx, r, target[paymentBody]{payload: body, find: find, afterCreate: paymentAutoApplied(body)})
}
