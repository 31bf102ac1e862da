package e2e

import (
	"context"
	"errors"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// booksIndex is a company's objects grouped the way the check needs them.
type booksIndex struct {
	live       map[string][]map[string]any // by marker, voided objects left out
	voided     map[string]int              // by entity
	docNumbers map[string]int              // invoices by DocNumber, voided ones included
	items      map[string]int              // by name
	customerOf map[string]string           // QBO customer id → billing id
}

func indexBooks(b qboBooks, f *findings) booksIndex {
	ix := booksIndex{live: map[string][]map[string]any{}, voided: map[string]int{},
		docNumbers: map[string]int{}, items: map[string]int{}, customerOf: map[string]string{}}
	for _, entity := range booksEntities {
		for _, obj := range b.objects[entity] {
			switch {
			case entity == "Item":
				ix.items[str(obj["Name"])]++
				continue
			case entity == "Invoice":
				ix.docNumbers[str(obj["DocNumber"])]++
			}
			if voided(obj) {
				ix.voided[entity]++
				continue
			}
			mark := markerOf(obj)
			if mark == "" {
				// An empty zero payment moves no money but is still an
				// object billing never had: QBO's automation made it.
				category := "unexpected"
				lines, _ := obj["Line"].([]any)
				if total, err := minor(obj["TotalAmt"]); err == nil && total == 0 && len(lines) == 0 {
					category = "leftover"
				}
				f.add(category, "%s %s carries no billing marker: %v", entity, str(obj["Id"]), obj)
				continue
			}
			ix.live[entity+" "+mark] = append(ix.live[entity+" "+mark], obj)
			if entity == "Customer" {
				var id string
				fmt.Sscanf(mark, "customer %s", &id)
				ix.customerOf[str(obj["Id"])] = id
			}
		}
	}
	return ix
}

// expect takes the live objects with entity and marker out of the index
// and checks there are want of them (0 or 1); it returns the one found.
func (ix booksIndex) expect(f *findings, entity, mark string, want int) map[string]any {
	key := entity + " " + mark
	got := ix.live[key]
	delete(ix.live, key)
	switch {
	case len(got) > want && want > 0:
		f.add("duplicate", "%s [billing %s] exists %d times in QuickBooks", entity, mark, len(got))
	case len(got) > want:
		f.add("unexpected", "%s [billing %s] is live in QuickBooks (%d), billing has nothing there", entity, mark, len(got))
	case len(got) < want:
		f.add("missing", "%s [billing %s] is not in QuickBooks", entity, mark)
	}
	if len(got) == 0 {
		return nil
	}
	return got[0]
}

// checkInvariant compares the tenant's QuickBooks company with billing:
// every live document once with billing's amounts, nothing else live,
// and per customer the open A/R, unapplied payments and credits; the
// cash accounts moved by Σ payments and sales and −Σ refunds; balanced books.
func (m *billingModel) checkInvariant(b qboBooks, f *findings) {
	ix := indexBooks(b, f)
	for _, c := range m.customers {
		if q := ix.expect(f, "Customer", "customer "+c.id, 1); q != nil && str(q["DisplayName"]) != c.name {
			f.add("mismatch", "customer %s: DisplayName %q, billing %q", c.id, str(q["DisplayName"]), c.name)
		}
	}
	for _, p := range m.products {
		if n := ix.items[p.name]; n != 1 {
			f.add(map[bool]string{true: "duplicate", false: "missing"}[n > 1], "item %q (product %s) exists %d times", p.name, p.id, n)
		}
	}
	m.checkInvoices(ix, f)
	m.checkPayments(ix, f)
	for _, c := range m.credits {
		live := !c.voided
		what := fmt.Sprintf("%s %s", c.kind, c.id)
		if q := ix.expect(f, "CreditMemo", what, btoi(live)); q != nil {
			f.amountIs(what+" TotalAmt", q["TotalAmt"], c.amount)
			f.amountIs(what+" RemainingCredit", q["RemainingCredit"], c.amount-sum(c.apps))
		}
		if q := ix.expect(f, "Payment", what+" application", btoi(live && len(c.apps) > 0)); q != nil {
			f.amountIs(what+" application TotalAmt", q["TotalAmt"], 0)
		}
	}
	for _, r := range m.refunds {
		if r.sale != "" {
			if q := ix.expect(f, "RefundReceipt", "refund "+r.id, btoi(!r.voided)); q != nil {
				f.amountIs("refund "+r.id+" TotalAmt", q["TotalAmt"], r.amount)
			}
			continue
		}
		ix.expect(f, "JournalEntry", "refund "+r.id, btoi(!r.voided))
	}
	for _, s := range m.sales {
		if q := ix.expect(f, "SalesReceipt", "sale "+s.id, btoi(!s.voided)); q != nil {
			f.amountIs("sale "+s.id+" TotalAmt", q["TotalAmt"], s.total())
		}
	}
	for key, objs := range ix.live {
		f.add("unexpected", "%s is live in QuickBooks %d times; billing does not have it", key, len(objs))
	}
	m.checkVoided(ix, f)
	m.checkLedger(b.ledger, ix, f)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *billingModel) checkInvoices(ix booksIndex, f *findings) {
	for _, v := range m.invoices {
		live := v.status == "posted" || v.status == "paid"
		switch n := ix.docNumbers[v.number]; {
		case n > 1:
			f.add("duplicate", "invoice %s: DocNumber %s exists %d times", v.id, v.number, n)
		case live && n == 0:
			// reported as missing by expect below
		case v.status == "draft" && n > 0:
			f.add("unexpected", "draft invoice %s is in QuickBooks as %s", v.id, v.number)
		}
		delete(ix.docNumbers, v.number)
		q := ix.expect(f, "Invoice", "invoice "+v.id, btoi(live))
		if q == nil {
			continue
		}
		f.amountIs("invoice "+v.id+" TotalAmt", q["TotalAmt"], v.total())
		f.amountIs("invoice "+v.id+" Balance", q["Balance"], m.due(v))
	}
	for doc, n := range ix.docNumbers {
		f.add("unexpected", "invoice DocNumber %s (%d) has no billing invoice", doc, n)
	}
}

func (m *billingModel) checkPayments(ix booksIndex, f *findings) {
	for _, p := range m.payments {
		q := ix.expect(f, "Payment", "payment "+p.id, btoi(!p.voided))
		if q == nil {
			continue
		}
		f.amountIs("payment "+p.id+" TotalAmt", q["TotalAmt"], p.amount)
		f.amountIs("payment "+p.id+" UnappliedAmt", q["UnappliedAmt"], m.free(p))
	}
}

// checkVoided bounds the voided objects by what billing voided: a voided
// object no billing void explains is a duplicate that was cleaned up.
func (m *billingModel) checkVoided(ix booksIndex, f *findings) {
	var invoices, payments, memos, sales, saleRefunds int
	for _, s := range m.sales {
		sales += btoi(s.voided)
	}
	for _, r := range m.refunds {
		saleRefunds += btoi(r.voided && r.sale != "")
	}
	for _, v := range m.invoices {
		invoices += btoi(v.status == "voided")
	}
	for _, p := range m.payments {
		payments += btoi(p.voided)
	}
	for _, c := range m.credits {
		memos += btoi(c.voided)
		payments += c.emptied
	}
	for entity, limit := range map[string]int{"Invoice": invoices, "Payment": payments, "CreditMemo": memos, "JournalEntry": 0,
		"SalesReceipt": sales, "RefundReceipt": saleRefunds} {
		if n := ix.voided[entity]; n > limit {
			f.add("duplicate", "%d voided %s objects in QuickBooks, billing voided at most %d", n, entity, limit)
		}
	}
}

// arOf is billing's open A/R of customer id with its parts.
func (m *billingModel) arOf(id string) (invoices, payments, credits int64) {
	for _, v := range m.invoices {
		if v.customer == id && (v.status == "posted" || v.status == "paid") {
			invoices += m.due(v)
		}
	}
	for _, p := range m.payments {
		if p.customer == id && !p.voided {
			payments += m.free(p)
		}
	}
	for _, c := range m.credits {
		if c.customer == id && !c.voided {
			credits += c.amount - sum(c.apps)
		}
	}
	return invoices, payments, credits
}

func (m *billingModel) checkLedger(l booksLedger, ix booksIndex, f *findings) {
	for _, c := range l.Customers {
		id, ok := ix.customerOf[c.ID]
		if !ok {
			f.add("unexpected", "QuickBooks customer %s in the ledger has no billing customer", c.ID)
			continue
		}
		inv, pay, cred := m.arOf(id)
		f.amountIs("customer "+id+" open A/R", c.OpenAR, inv-pay-cred)
		f.amountIs("customer "+id+" open invoices", c.OpenInvoices, inv)
		f.amountIs("customer "+id+" unapplied payments", c.UnappliedPayments, pay)
		f.amountIs("customer "+id+" remaining credits", c.RemainingCredits, cred)
		f.amountIs("customer "+id+" open journal charges", c.JournalCharges, 0)
		f.amountIs("customer "+id+" open journal credits", c.JournalCredits, 0)
	}
	var deposits, refunds int64
	for _, p := range m.payments {
		if !p.voided {
			deposits += p.amount
		}
	}
	for _, s := range m.sales {
		if !s.voided {
			deposits += s.total()
		}
	}
	for _, r := range m.refunds {
		if !r.voided {
			refunds += r.amount
		}
	}
	cash := map[string]string{}
	for _, a := range l.Accounts {
		cash[a.SubType] = a.Balance
	}
	f.amountIs("deposit ledger (Undeposited Funds)", cash["UndepositedFunds"], deposits)
	f.amountIs("refund ledger (Checking)", cash["Checking"], -refunds)
	if !l.Balanced {
		f.add("mismatch", "QuickBooks books do not balance")
	}
}

// checkStatuses reads every entity's status in the store: the newest
// version, synced (drafts skipped), and that status about that version.
func (m *billingModel) checkStatuses(ctx context.Context, st *store.Store, f *findings) error {
	type want struct {
		kind    billing.Kind
		id      string
		version int
		status  store.Status
	}
	var ws []want
	for _, c := range m.customers {
		ws = append(ws, want{billing.KindCustomer, c.id, c.version, store.StatusSynced})
	}
	for _, p := range m.products {
		ws = append(ws, want{billing.KindProduct, p.id, 1, store.StatusSynced})
	}
	for _, v := range m.invoices {
		w := want{billing.KindInvoice, v.id, v.version, store.StatusSynced}
		if v.status == "draft" {
			w.status = store.StatusSkipped
		}
		ws = append(ws, w)
	}
	for _, p := range m.payments {
		ws = append(ws, want{billing.KindPayment, p.id, p.version, store.StatusSynced})
	}
	for _, c := range m.credits {
		ws = append(ws, want{c.kind, c.id, c.version, store.StatusSynced})
	}
	for _, r := range m.refunds {
		ws = append(ws, want{billing.KindRefund, r.id, r.version, store.StatusSynced})
	}
	for _, s := range m.sales {
		ws = append(ws, want{billing.KindSale, s.id, s.version, store.StatusSynced})
	}
	for _, w := range ws {
		e, err := st.Entity(ctx, m.tenant, w.kind, w.id)
		if errors.Is(err, store.ErrNotFound) {
			f.add("status", "%s/%s: never stored", w.kind, w.id)
			continue
		}
		if err != nil {
			return err
		}
		if e.Version != int64(w.version) || e.Status != w.status || e.StatusVersion != e.Version {
			msg := fmt.Sprintf("%s/%s v%d: %s (about v%d, %d attempts)", w.kind, w.id, e.Version, e.Status, e.StatusVersion, e.Attempts)
			if e.WaitingOn != "" {
				msg += " on " + e.WaitingOn
			}
			if e.Warning != nil {
				msg += fmt.Sprintf(": %s %s %s", e.Warning.Code, e.Warning.Message, e.Warning.Detail)
			}
			f.add("status", "%s; want v%d %s", msg, w.version, w.status)
		}
	}
	return nil
}
