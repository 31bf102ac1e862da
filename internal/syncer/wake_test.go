package syncer_test

import (
	"context"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
)

// TestDependentRecordedWhileItsParentLinksIsWoken: the invoice's sync
// reads its link, creates the invoice in QuickBooks, and only then writes
// the link linked; in between, another worker syncs a payment of that
// invoice, which finds it not linked yet and waits. The invoice's linking
// write returns the payment's count, so its sync wakes the payment, and
// the payment reaches QuickBooks applied to the invoice. A later sync of
// the invoice, with nobody waiting any more, does not list its
// dependents at all.
func TestDependentRecordedWhileItsParentLinksIsWoken(t *testing.T) {
	w := newWorld(t)
	withCustomer(w)
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)
	w.store.beforeLinked = func(l record.Link) {
		if l.Kind != billing.KindInvoice {
			t.Errorf("first finished link written: %s/%s, want the invoice", l.Kind, l.ID)
		}
		if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
			t.Errorf("payment's sync: %v", err)
		}
		if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusWaiting || st.WaitingOn != "invoice/inv_1" {
			t.Errorf("payment synced while the invoice was being created: %s on %q, want waiting on invoice/inv_1", st.Status, st.WaitingOn)
		}
	}
	if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindInvoice, "inv_1"); st.Status != record.StatusSynced {
		t.Fatalf("invoice: %s %+v, want synced", st.Status, st.Warning)
	}
	wakes := w.published(billing.KindPayment, "pay_1")
	if len(wakes) != 1 || wakes[0].Reason != "wake" {
		t.Fatalf("messages for the payment = %+v, want one wake-up", wakes)
	}
	if err := w.engine.Handle(context.Background(), wakes[0]); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Fatalf("woken payment: %s %+v, want synced", st.Status, st.Warning)
	}
	pays, _ := qbofake.All[qbo.Payment](w.books)
	inv := w.link(billing.KindInvoice, "inv_1").QBOID
	if len(pays) != 1 || pays[0].TotalAmt != "52.92" || len(pays[0].Line) != 1 || pays[0].Line[0].LinkedTxn[0].TxnID != inv {
		t.Fatalf("QuickBooks payments = %+v, want one of 52.92 applied to invoice %s", pays, inv)
	}

	listed := w.store.listed
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 2, invoiceJSON(2, 1))
	if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindInvoice, "inv_1"); st.Status != record.StatusSynced {
		t.Fatalf("invoice v2: %s %+v, want synced", st.Status, st.Warning)
	}
	if w.store.listed != listed || len(w.published(billing.KindPayment, "pay_1")) != 1 {
		t.Errorf("invoice v2 with nobody waiting listed dependents %d times and woke the payment %d times, want 0 and still 1",
			w.store.listed-listed, len(w.published(billing.KindPayment, "pay_1")))
	}
}

// TestDependentRecordedBeforeItsParentsFirstSyncIsWoken: a payment that
// waits for an invoice never attempted (no link at all) is counted on
// the invoice's link to be; the invoice's first link write returns the
// count and its sync wakes the payment.
func TestDependentRecordedBeforeItsParentsFirstSyncIsWoken(t *testing.T) {
	w := newWorld(t)
	withCustomer(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)
	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusWaiting {
		t.Fatalf("payment before its invoice: %s, want waiting", st.Status)
	}
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
	if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	wakes := w.published(billing.KindPayment, "pay_1")
	if len(wakes) != 1 {
		t.Fatalf("messages for the payment = %+v, want one wake-up", wakes)
	}
	if err := w.engine.Handle(context.Background(), wakes[0]); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Fatalf("woken payment: %s %+v, want synced", st.Status, st.Warning)
	}
}

// published returns the messages the engine queued for kind/id.
func (w *world) published(kind billing.Kind, id string) []change.Message {
	w.queue.mu.Lock()
	defer w.queue.mu.Unlock()
	var out []change.Message
	for _, m := range w.queue.published {
		if m.Kind == kind && m.ID == id {
			out = append(out, m)
		}
	}
	return out
}
