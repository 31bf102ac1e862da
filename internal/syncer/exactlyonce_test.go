package syncer_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
)

const customerV1 = `{"id":"cus_1","version":1,"display_name":"Acme Corp","email":"billing@acme.example","currency":"USD"}`

// invoiceJSON is invoice inv_1 of qty × 49.00 with 8% tax.
func invoiceJSON(version int64, qty int64) string {
	amt, tax := 4900*qty, 392*qty
	return fmt.Sprintf(`{"id":"inv_1","version":%d,"customer_id":"cus_1","number":"INV-1","status":"posted",
		"issued_on":"2026-11-21","due_on":"2026-12-21","currency":"USD",
		"lines":[{"id":"li_1","description":"Basic plan","quantity":"%d","unit_amount":4900,"amount":%d,
			"discount_amount":0,"tax_amount":%d,"tax_code":"TAX"}],
		"subtotal":%d,"discount_total":0,"tax_total":%d,"total":%d,"amount_due":%d}`,
		version, qty, amt, tax, amt, tax, amt+tax, amt+tax)
}

const paymentV1 = `{"id":"pay_1","version":1,"customer_id":"cus_1","received_on":"2026-11-22","amount":5292,
	"currency":"USD","method":"card","reference":"ch_1","applications":[{"invoice_id":"inv_1","amount":5292}]}`

// withCustomer links billing customer cus_1 to a QuickBooks customer.
func withCustomer(w *world) string {
	w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
	return w.linked(billing.KindCustomer, "cus_1", qbo.Customer{DisplayName: "Acme Corp",
		Notes: "[billing acme/customer cus_1]", Active: qbo.Bool(true)})
}

// withInvoice also links inv_1 to a QuickBooks invoice of 52.92.
func withInvoice(w *world) string {
	cust := withCustomer(w)
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
	return w.linked(billing.KindInvoice, "inv_1", qbo.Invoice{DocNumber: "INV-1", CustomerRef: &qbo.Ref{Value: cust},
		PrivateNote: "[billing acme/invoice inv_1]", Line: []qbo.Line{{Amount: "52.92", DetailType: qbo.SalesItemLine}}})
}

// TestExactlyOnceAtEveryCrashPoint fails a sync at each point where a
// process can die or an answer vanish, delivers the message again as
// the queues do, and checks that QuickBooks holds exactly one object
// with billing's amounts, linked to the entity.
func TestExactlyOnceAtEveryCrashPoint(t *testing.T) {
	tests := []struct {
		name string
		kind billing.Kind
		id   string
		// setup receives the entity (and its parents) and arms the crash.
		setup func(w *world)
		// between runs after the failed attempt, before the next.
		between func(w *world)
		// check asserts what QuickBooks holds.
		check func(t *testing.T, w *world)
		// inOne: the attempt recovers by itself, without a redelivery.
		inOne bool
		// resent: the redelivery sends the create again, with the first
		// attempt's requestid; otherwise it finds the object and creates
		// nothing.
		resent bool
	}{
		{name: "customer: process dies before the create is sent", kind: billing.KindCustomer, id: "cus_1",
			setup: func(w *world) {
				w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
				w.books.Fail("create Customer", qbofake.Unsent)
			},
			check: oneCustomer, resent: true},
		{name: "customer: answer lost, recovered by its marker", kind: billing.KindCustomer, id: "cus_1",
			setup: func(w *world) {
				w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
				w.books.Fail("create Customer", qbofake.AnswerLost)
			},
			check: oneCustomer},
		{name: "customer: created, then the link write fails", kind: billing.KindCustomer, id: "cus_1",
			setup: func(w *world) {
				w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
				w.store.failLinks = 1
			},
			check: oneCustomer},
		{name: "invoice: process dies before the create is sent", kind: billing.KindInvoice, id: "inv_1",
			setup: func(w *world) {
				withCustomer(w)
				w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
				w.books.Fail("create Invoice", qbofake.Unsent)
			},
			check: oneInvoice("52.92"), resent: true},
		{name: "invoice: answer lost, recovered by its natural key (DocNumber)", kind: billing.KindInvoice, id: "inv_1",
			setup: func(w *world) {
				withCustomer(w)
				w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
				w.books.Fail("create Invoice", qbofake.AnswerLost)
			},
			check: oneInvoice("52.92")},
		{name: "invoice: the invocation is cut short while the create is in flight", kind: billing.KindInvoice, id: "inv_1",
			setup: func(w *world) {
				withCustomer(w)
				w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
				w.books.Fail("create Invoice", qbofake.Canceled)
			},
			check: oneInvoice("52.92")},
		{name: "invoice: created, then the link write fails", kind: billing.KindInvoice, id: "inv_1",
			setup: func(w *world) {
				withCustomer(w)
				w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
				w.store.failLinks = 1
			},
			check: oneInvoice("52.92")},
		{name: "invoice: answer lost and the lookup misses, recovered by requestid", kind: billing.KindInvoice, id: "inv_1",
			setup: func(w *world) {
				withCustomer(w)
				w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
				w.books.Fail("create Invoice", qbofake.AnswerLost)
			},
			between: func(w *world) {
				// An accountant renumbers it before the retry: neither
				// DocNumber nor marker finds it, QuickBooks' requestid
				// replay does.
				invs, _ := qbofake.All[qbo.Invoice](w.books)
				_ = w.books.Edit("Invoice", invs[0].ID, func(m map[string]any) { m["DocNumber"] = "INV-1-X" })
			},
			check: oneInvoice("52.92"), resent: true},
		{name: "invoice: a newer version's update races an edit in QuickBooks (SyncToken)", kind: billing.KindInvoice, id: "inv_1",
			setup: func(w *world) {
				id := withInvoice(w)
				w.receive(billing.KindInvoice, "inv_1", "cus_1", 2, invoiceJSON(2, 2))
				w.books.EditBefore("update Invoice", "Invoice", id, func(m map[string]any) { m["CustomerMemo"] = map[string]any{"value": "edited"} })
			},
			check: oneInvoice("105.84"), inOne: true},
		{name: "payment: answer lost, recovered by its marker", kind: billing.KindPayment, id: "pay_1",
			setup: func(w *world) {
				withInvoice(w)
				w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)
				w.books.Fail("create Payment", qbofake.AnswerLost)
			},
			check: onePayment},
		{name: "payment: created, then the link write fails", kind: billing.KindPayment, id: "pay_1",
			setup: func(w *world) {
				withInvoice(w)
				w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)
				w.store.failLinks = 1
			},
			check: onePayment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tt.setup(w)
			err := w.sync(tt.kind, tt.id)
			st := w.entity(tt.kind, tt.id)
			if tt.inOne {
				if err != nil || st.Status != record.StatusSynced {
					t.Fatalf("attempt: %v, status %s %+v; want synced at once", err, st.Status, st.Warning)
				}
			} else {
				if st.Status == record.StatusSynced {
					t.Fatal("the failed attempt marked the entity synced")
				}
				if st.Warning != nil && st.Warning.Message == "" {
					t.Errorf("the failed attempt shows a warning without a reason: %+v", st.Warning)
				}
				if tt.between != nil {
					tt.between(w)
				}
				first := creates(w.books.Calls())
				// The queue delivers the message again (a deferral's
				// resume, or the FIFO queue after an error).
				if err := w.sync(tt.kind, tt.id); err != nil {
					t.Fatalf("second attempt: %v", err)
				}
				again := creates(w.books.Calls())[len(first):]
				switch {
				case tt.resent && (len(again) != 1 || len(first) != 1 || again[0].RequestID != first[0].RequestID):
					t.Errorf("creates: first %+v, then %+v; want the same requestid sent again", first, again)
				case !tt.resent && len(again) != 0:
					t.Errorf("the redelivery created again (%+v) instead of finding the object", again)
				}
			}
			if st = w.entity(tt.kind, tt.id); st.Status != record.StatusSynced {
				t.Fatalf("status %s %+v, want synced", st.Status, st.Warning)
			}
			tt.check(t, w)
			// A further delivery (a duplicate) writes nothing.
			before := len(w.books.Calls())
			if err := w.sync(tt.kind, tt.id); err != nil {
				t.Fatal(err)
			}
			for _, c := range w.books.Calls()[before:] {
				if !strings.HasPrefix(c.Op, "query") && !strings.HasPrefix(c.Op, "read") {
					t.Errorf("a duplicate delivery wrote to QuickBooks: %s", c.Op)
				}
			}
		})
	}
}

func creates(calls []qbofake.Call) []qbofake.Call {
	var out []qbofake.Call
	for _, c := range calls {
		if strings.HasPrefix(c.Op, "create ") {
			out = append(out, c)
		}
	}
	return out
}

func oneCustomer(t *testing.T, w *world) {
	t.Helper()
	got, err := qbofake.All[qbo.Customer](w.books)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || w.books.Created("Customer") != 1 {
		t.Fatalf("QuickBooks holds %d customers (%d ever created), want exactly 1: %+v", len(got), w.books.Created("Customer"), got)
	}
	c := got[0]
	if c.DisplayName != "Acme Corp" || c.Notes != "[billing acme/customer cus_1]" || c.PrimaryEmailAddr == nil ||
		c.PrimaryEmailAddr.Address != "billing@acme.example" {
		t.Errorf("customer = %+v, want Acme Corp with its marker and e-mail", c)
	}
	if l := w.link(billing.KindCustomer, "cus_1"); !l.Linked() || l.QBOID != c.ID {
		t.Errorf("link = %+v, want linked to %s", l, c.ID)
	}
}

func oneInvoice(total string) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		t.Helper()
		got, err := qbofake.All[qbo.Invoice](w.books)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || w.books.Created("Invoice") != 1 {
			t.Fatalf("QuickBooks holds %d invoices (%d ever created), want exactly 1", len(got), w.books.Created("Invoice"))
		}
		inv := got[0]
		if string(inv.TotalAmt) != total || inv.TxnTaxDetail == nil || inv.CustomerRef == nil {
			t.Errorf("invoice total %s (tax %+v, customer %+v), want %s with tax and customer", inv.TotalAmt, inv.TxnTaxDetail, inv.CustomerRef, total)
		}
		if l := w.link(billing.KindInvoice, "inv_1"); !l.Linked() || l.QBOID != inv.ID {
			t.Errorf("link = %+v, want linked to %s", l, inv.ID)
		}
	}
}

func onePayment(t *testing.T, w *world) {
	t.Helper()
	got, err := qbofake.All[qbo.Payment](w.books)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || w.books.Created("Payment") != 1 {
		t.Fatalf("QuickBooks holds %d payments (%d ever created), want exactly 1", len(got), w.books.Created("Payment"))
	}
	p := got[0]
	inv := w.link(billing.KindInvoice, "inv_1").QBOID
	if p.TotalAmt != "52.92" || p.UnappliedAmt != "0.00" || len(p.Line) != 1 || p.Line[0].Amount != "52.92" ||
		len(p.Line[0].LinkedTxn) != 1 || p.Line[0].LinkedTxn[0].TxnID != inv {
		t.Errorf("payment = %s (unapplied %s), lines %+v; want 52.92 applied in full to invoice %s", p.TotalAmt, p.UnappliedAmt, p.Line, inv)
	}
	if l := w.link(billing.KindPayment, "pay_1"); !l.Linked() || l.QBOID != p.ID {
		t.Errorf("link = %+v, want linked to %s", l, p.ID)
	}
}
