package reconcile

import (
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// doc is one billing document as reconciliation compares it; amounts in
// minor units of currency.
type doc struct {
	kind     billing.Kind
	id       string
	customer string // billing customer id
	currency string
	date     string
	number   string
	status   string // billing's word for it: posted, paid, recorded, issued
	total    int64
	applied  map[string]int64 // invoice id → amount applied to it
	lines    []int64          // an invoice's line amounts, in order
	payment  string           // a refund's payment
}

// ledger is billing's side: its live documents and customers.
type ledger struct {
	customers map[string]*billing.Customer
	docs      map[billing.Ref]*doc
	status    map[billing.Ref]store.Status
}

// inScope says whether billing expects the entity in QuickBooks at all:
// drafts and documents before the sync-from date are skipped by design.
func inScope(e store.EntityState) bool {
	return e.Status != store.StatusSkipped && e.Action != billing.ActionVoided && e.Action != billing.ActionDeleted
}

func buildLedger(states []store.EntityState) (ledger, error) {
	l := ledger{customers: map[string]*billing.Customer{}, docs: map[billing.Ref]*doc{}, status: map[billing.Ref]store.Status{}}
	for _, st := range states {
		ref := billing.Ref{Kind: st.Kind, ID: st.ID}
		l.status[ref] = st.Status
		if !inScope(st) {
			continue
		}
		ent, err := billing.Decode(st.Kind, st.Data)
		if err != nil {
			return l, fmt.Errorf("decode %s: %w", ref, err)
		}
		if c, ok := ent.(*billing.Customer); ok {
			l.customers[c.ID] = c
			continue
		}
		if d := docOf(ent); d != nil {
			l.docs[ref] = d
		}
	}
	return l, nil
}

func docOf(ent billing.Entity) *doc {
	switch v := ent.(type) {
	case *billing.Invoice:
		if v.Status == billing.InvoiceDraft || v.Status == billing.InvoiceVoided {
			return nil
		}
		return &doc{kind: billing.KindInvoice, id: v.ID, customer: v.CustomerID, currency: v.Currency,
			date: v.IssuedOn.String(), number: v.Number, status: v.Status, total: v.Total, lines: lineAmounts(v.Lines)}
	case *billing.Payment:
		return &doc{kind: billing.KindPayment, id: v.ID, customer: v.CustomerID, currency: v.Currency,
			date: v.ReceivedOn.String(), number: v.Reference, status: "recorded", total: v.Amount, applied: applied(v.Applications)}
	case *billing.Credit:
		return &doc{kind: billing.KindCredit, id: v.ID, customer: v.CustomerID, currency: v.Currency,
			date: v.IssuedOn.String(), status: "issued", total: v.Amount, applied: applied(v.Applications)}
	case *billing.ChargeReversal:
		return &doc{kind: billing.KindChargeReversal, id: v.ID, customer: v.CustomerID, currency: v.Currency,
			date: v.ReversedOn.String(), status: "issued", total: v.Amount, applied: map[string]int64{v.InvoiceID: v.Amount}}
	case *billing.WriteOff:
		return &doc{kind: billing.KindWriteOff, id: v.ID, customer: v.CustomerID, currency: v.Currency,
			date: v.WrittenOffOn.String(), status: "issued", total: v.Amount, applied: map[string]int64{v.InvoiceID: v.Amount}}
	case *billing.Refund:
		return &doc{kind: billing.KindRefund, id: v.ID, customer: v.CustomerID, currency: v.Currency,
			date: v.RefundedOn.String(), status: "issued", total: v.Amount, payment: v.PaymentID}
	}
	return nil
}

func lineAmounts(ls []billing.InvoiceLine) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.Amount
	}
	return out
}

func applied(apps []billing.Application) map[string]int64 {
	out := map[string]int64{}
	for _, a := range apps {
		out[a.InvoiceID] += a.Amount
	}
	return out
}

// invoiceOpen is, per billing invoice id, its total less what billing's
// payments and credits applied to it.
func (l ledger) invoiceOpen() map[string]int64 {
	open := map[string]int64{}
	for _, d := range l.docs {
		if d.kind == billing.KindInvoice {
			open[d.id] += d.total
		}
	}
	for _, d := range l.docs {
		for inv, amt := range d.applied {
			if _, ok := open[inv]; ok {
				open[inv] -= amt
			}
		}
	}
	return open
}

// balances is a customer's receivables in minor units.
type balances struct{ openAR, unapplied int64 }

// billingBalances is, per billing customer, the open invoices less what
// billing applied to them, and what payments and credits still hold
// (refunds taken off).
func (l ledger) billingBalances() map[string]balances {
	open := l.invoiceOpen()
	out := map[string]balances{}
	for _, d := range l.docs {
		b := out[d.customer]
		switch d.kind {
		case billing.KindPayment, billing.KindCredit, billing.KindChargeReversal, billing.KindWriteOff:
			rest := d.total
			for _, amt := range d.applied {
				rest -= amt
			}
			b.unapplied += rest
		case billing.KindRefund:
			b.unapplied -= d.total
		}
		out[d.customer] = b
	}
	for _, d := range l.docs {
		if d.kind == billing.KindInvoice {
			b := out[d.customer]
			b.openAR += open[d.id]
			out[d.customer] = b
		}
	}
	return out
}
