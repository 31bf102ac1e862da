package reconcile

import (
	"sort"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/store"
)

// books is everything one comparison looks at.
type books struct {
	ledger  ledger
	links   map[billing.Ref]store.Link
	objects map[string]store.QBOObject // by entity + " " + QBO id
}

func objKey(entity, id string) string { return entity + " " + id }

// entityOf is the QuickBooks entity a billing kind's main object is.
func entityOf(kind billing.Kind) string {
	switch kind {
	case billing.KindInvoice:
		return "Invoice"
	case billing.KindPayment:
		return "Payment"
	case billing.KindCredit, billing.KindChargeReversal, billing.KindWriteOff:
		return "CreditMemo"
	case billing.KindRefund:
		return "JournalEntry"
	}
	return ""
}

// object returns the QBO object linked to ref, if it was read.
func (b books) object(ref billing.Ref) (store.QBOObject, store.Link, bool) {
	l, ok := b.links[ref]
	if !ok || !l.Linked() {
		return store.QBOObject{}, l, false
	}
	o, ok := b.objects[objKey(entityOf(ref.Kind), l.QBOID)]
	return o, l, ok
}

func (b books) customerQBOID(customer string) string {
	l := b.links[billing.Ref{Kind: billing.KindCustomer, ID: customer}]
	if !l.Linked() {
		return ""
	}
	return l.QBOID
}

// qboBalances is, per QBO customer id, the open invoices and what
// payments and credit memos still hold, over every live object read (also
// those made in QuickBooks). A refund's journal entry is applied by its
// payment, so the payment's unapplied amount already shows it.
func (b books) qboBalances() map[string]balances {
	out := map[string]balances{}
	for _, o := range b.objects {
		if o.State != store.QBOActive {
			continue
		}
		c := out[o.CustomerID]
		switch o.Entity {
		case "Invoice":
			c.openAR += o.Balance
		case "Payment", "CreditMemo":
			c.unapplied += o.Open
		}
		out[o.CustomerID] = c
	}
	return out
}

func format(minor int64, currency string) string {
	s, err := money.Format(minor, currency)
	if err != nil {
		return "" // billing validated every currency it sent
	}
	return s
}

// customers compares every billing customer's receivables, mismatches
// first.
func (b books) customers() []store.CustomerRecon {
	bill, q := b.ledger.billingBalances(), b.qboBalances()
	out := []store.CustomerRecon{}
	for id, c := range b.ledger.customers {
		qid := b.customerQBOID(id)
		bb, qb := bill[id], balances{}
		if qid != "" {
			qb = q[qid]
		}
		st := "matched"
		if bb != qb {
			st = "mismatched"
		}
		out = append(out, store.CustomerRecon{CustomerID: id, QBOID: qid, Currency: c.Currency,
			BillingOpenAR: format(bb.openAR, c.Currency), QBOOpenAR: format(qb.openAR, c.Currency),
			BillingUnapplied: format(bb.unapplied, c.Currency), QBOUnapplied: format(qb.unapplied, c.Currency), Status: st})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Status != out[j].Status {
			return out[i].Status == "mismatched"
		}
		return out[i].CustomerID < out[j].CustomerID
	})
	return out
}

type totalKey struct {
	kind     billing.Kind
	currency string
}

type total struct {
	billingCount, qboCount int
	billingAmount, qboAmt  int64
}

// totals counts and sums each kind's documents in billing and their live
// linked objects in QuickBooks, per currency.
func (b books) totals() []store.KindTotal {
	sums := map[totalKey]*total{}
	for ref, d := range b.ledger.docs {
		k := totalKey{ref.Kind, d.currency}
		t := sums[k]
		if t == nil {
			t = &total{}
			sums[k] = t
		}
		t.billingCount++
		t.billingAmount += d.total
		if o, _, ok := b.object(ref); ok && o.State == store.QBOActive {
			t.qboCount++
			t.qboAmt += o.Total
		}
	}
	out := []store.KindTotal{}
	for k, t := range sums {
		out = append(out, store.KindTotal{Kind: k.kind, Currency: k.currency, BillingCount: t.billingCount,
			QBOCount: t.qboCount, BillingAmount: format(t.billingAmount, k.currency), QBOAmount: format(t.qboAmt, k.currency)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return kindRank(out[i].Kind) < kindRank(out[j].Kind)
		}
		return out[i].Currency < out[j].Currency
	})
	return out
}

func kindRank(k billing.Kind) int {
	for i, v := range billing.Kinds {
		if v == k {
			return i
		}
	}
	return len(billing.Kinds)
}
