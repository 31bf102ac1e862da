package reconcile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// drift lists, for every linked billing document, the fields QuickBooks
// changed after the sync wrote them, payments entered in QuickBooks
// against synced invoices, and marked objects no link points to.
func (b books) drift() []store.Drift {
	var out []store.Drift
	for ref, d := range b.ledger.docs {
		o, l, ok := b.object(ref)
		if !ok || l.Voided {
			continue
		}
		out = append(out, b.docDrift(ref, d, o, l)...)
	}
	out = append(out, b.balanceDrift()...)
	out = append(out, b.foreignPayments()...)
	out = append(out, b.orphans()...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return kindRank(out[i].Kind) < kindRank(out[j].Kind)
		}
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Field < out[j].Field
	})
	return out
}

func (b books) docDrift(ref billing.Ref, d *doc, o store.QBOObject, l store.Link) []store.Drift {
	at := func(field, billingValue, qboValue string) store.Drift {
		return store.Drift{Kind: ref.Kind, ID: ref.ID, QBOID: o.QBOID, Field: field, Billing: billingValue, QuickBooks: qboValue}
	}
	switch o.State {
	case store.QBODeleted, store.QBOVoided:
		return []store.Drift{at("status", d.status, o.State)}
	}
	if o.SyncToken == l.SyncToken {
		return nil // QuickBooks still holds what the sync wrote
	}
	var out []store.Drift
	if o.Total != d.total {
		out = append(out, at("amount", format(d.total, d.currency), format(o.Total, d.currency)))
	}
	if d.kind == billing.KindInvoice && !slices.Equal(o.Lines, d.lines) {
		out = append(out, at("lines", lines(d.lines, d.currency), lines(o.Lines, d.currency)))
	}
	if want := b.customerQBOID(d.customer); want != "" && o.CustomerID != "" && o.CustomerID != want {
		out = append(out, at("customer", "QuickBooks customer "+want, "QuickBooks customer "+o.CustomerID))
	}
	if o.TxnDate != "" && o.TxnDate != d.date {
		out = append(out, at("date", d.date, o.TxnDate))
	}
	return out
}

// balanceDrift lists the synced invoices whose open balance in
// QuickBooks is not billing's: the consequence of a change elsewhere (a
// payment voided or entered there), shown on the invoice it moved. It does
// not make the invoice drifted: pushing the invoice again would not change
// it.
func (b books) balanceDrift() []store.Drift {
	open := b.ledger.invoiceOpen()
	var out []store.Drift
	for ref, d := range b.ledger.docs {
		if ref.Kind != billing.KindInvoice {
			continue
		}
		o, l, ok := b.object(ref)
		if !ok || l.Voided || o.State != store.QBOActive || o.Balance == open[ref.ID] {
			continue
		}
		out = append(out, store.Drift{Kind: ref.Kind, ID: ref.ID, QBOID: o.QBOID, Field: fieldBalance,
			Billing: format(open[ref.ID], d.currency), QuickBooks: format(o.Balance, d.currency)})
	}
	return out
}

// fieldBalance is drift that follows from other drift; it marks nothing.
const fieldBalance = "balance"

// foreignPayments are live QuickBooks payments no billing entity links to
// that apply money to a synced invoice: entered by hand in QuickBooks.
func (b books) foreignPayments() []store.Drift {
	linked := map[string]bool{}
	invoices := map[string]billing.Ref{}
	for ref, l := range b.links {
		if !l.Linked() {
			continue
		}
		switch {
		case ref.Kind == billing.KindInvoice:
			invoices[l.QBOID] = ref
		case ref.Kind == billing.KindPayment || strings.HasSuffix(ref.ID, "#application"):
			linked[l.QBOID] = true
		}
	}
	var out []store.Drift
	for _, o := range b.objects {
		if o.Entity != "Payment" || o.State != store.QBOActive || linked[o.QBOID] || o.Marker != "" {
			continue
		}
		for _, a := range o.Applied {
			ref, ok := invoices[a.TxnID]
			if a.TxnType != "Invoice" || !ok {
				continue
			}
			d := b.ledger.docs[ref]
			currency := o.Currency
			if d != nil {
				currency = d.currency
			}
			out = append(out, store.Drift{Kind: ref.Kind, ID: ref.ID, QBOID: a.TxnID, Field: "payment",
				Billing: "none", QuickBooks: fmt.Sprintf("Payment %s applies %s", o.QBOID, format(a.Amount, currency))})
		}
	}
	return out
}

// orphans are live QuickBooks objects carrying a billing marker that the
// entity's link does not point to: a duplicate of a linked object, or an
// object whose link was lost. A create still under way is neither.
func (b books) orphans() []store.Drift {
	var out []store.Drift
	for _, o := range b.objects {
		if o.State != store.QBOActive || o.Marker == "" {
			continue
		}
		kind, id, _ := strings.Cut(o.Marker, " ")
		id = strings.Replace(id, " application", "#application", 1)
		ref := billing.Ref{Kind: billing.Kind(kind), ID: id}
		if want := entityOf(ref.Kind); strings.HasSuffix(id, "#application") && o.Entity != "Payment" ||
			!strings.HasSuffix(id, "#application") && o.Entity != want {
			continue // another object the sync tags with the entity's marker
		}
		l, ok := b.links[ref]
		switch {
		case ok && l.State == store.LinkCreating:
		case ok && l.QBOID == o.QBOID:
		case ok && l.Linked():
			out = append(out, store.Drift{Kind: ref.Kind, ID: ref.ID, QBOID: o.QBOID, Field: "duplicate",
				Billing: o.Entity + " " + l.QBOID, QuickBooks: "also " + o.Entity + " " + o.QBOID})
		default:
			out = append(out, store.Drift{Kind: ref.Kind, ID: ref.ID, QBOID: o.QBOID, Field: "orphan",
				Billing: "no link", QuickBooks: o.Entity + " " + o.QBOID})
		}
	}
	return out
}

// lines describes sales lines: "2 lines: 30.00, 20.00".
func lines(amounts []int64, currency string) string {
	parts := make([]string, len(amounts))
	for i, a := range amounts {
		parts[i] = format(a, currency)
	}
	noun := "lines"
	if len(amounts) == 1 {
		noun = "line"
	}
	return fmt.Sprintf("%d %s: %s", len(amounts), noun, strings.Join(parts, ", "))
}

// warning says in one sentence what drifted on one entity.
func warning(ds []store.Drift) store.Warning {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s: billing %s, QuickBooks %s", d.Field, d.Billing, d.QuickBooks)
	}
	return store.Warning{Code: "drifted", Message: "Changed in QuickBooks after the sync (" + strings.Join(parts, "; ") +
		"). Push billing's version again, or accept QuickBooks' version with a reason."}
}
