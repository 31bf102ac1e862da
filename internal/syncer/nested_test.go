package syncer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
)

// A prepayment: billing applies none of pay_1 to any invoice.
var prepayment = strings.Replace(paymentV1, `"applications":[{"invoice_id":"inv_1","amount":5292}]`, `"applications":[]`, 1)

// QuickBooks' automation applied our prepayment to the new invoice (the
// invoice's check after its create had not run: its answer was lost).
// The invoice's sync rewrites the payment at once, inside its own run:
// the payment ends with billing's lines (none) and the invoice open.
func TestInvoiceRewritesAPaymentQuickBooksApplied(t *testing.T) {
	w := newWorld(t)
	cust := withCustomer(w)
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
	inv, err := w.books.Add(qbo.Invoice{DocNumber: "INV-1", CustomerRef: &qbo.Ref{Value: cust},
		PrivateNote: "[billing acme/invoice inv_1]", Line: []qbo.Line{{Amount: "52.92", DetailType: qbo.SalesItemLine}}})
	if err != nil {
		t.Fatal(err)
	}
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, prepayment)
	pay := w.linked(billing.KindPayment, "pay_1", qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "52.92",
		PrivateNote: "[billing acme/payment pay_1]",
		Line:        []qbo.Line{{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: inv, TxnType: "Invoice"}}}}})
	if err := w.books.Edit("Invoice", inv, func(m map[string]any) {
		m["LinkedTxn"] = []any{map[string]any{"TxnId": pay, "TxnType": "Payment"}}
	}); err != nil {
		t.Fatal(err)
	}
	_, err = w.store.PutLink(context.Background(), record.Link{Tenant: tenant, Kind: billing.KindInvoice, ID: "inv_1",
		RealmID: realm, State: record.LinkLinked, QBOID: inv, SyncToken: "1", Extra: map[string]string{"settle": "1"}})
	if err != nil {
		t.Fatal(err)
	}

	if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	p := onlyPayment(t, w)
	if len(p.Line) != 0 || p.TotalAmt != "52.92" {
		t.Errorf("payment %s = %s with lines %+v, want billing's 52.92 with no application", pay, p.TotalAmt, p.Line)
	}
	invs, _ := qbofake.All[qbo.Invoice](w.books)
	if len(invs) != 1 || invs[0].Balance != "52.92" {
		t.Errorf("invoices = %+v, want inv_1 alone, open for 52.92", invs)
	}
	for _, ref := range []billing.Ref{{Kind: billing.KindInvoice, ID: "inv_1"}, {Kind: billing.KindPayment, ID: "pay_1"}} {
		if st := w.entity(ref.Kind, ref.ID); st.Status != record.StatusSynced {
			t.Errorf("%s status %s %+v, want synced", ref, st.Status, st.Warning)
		}
	}
	if len(w.queue.deferred)+len(w.queue.published) != 0 {
		t.Errorf("queued %+v, deferred %+v; want the rewrite done at once", w.queue.published, w.queue.deferred)
	}
}

// withRefundBlocked syncs pay_1 (70.00, 52.92 of it on inv_1) and has
// another billing payment, pay_0, hold inv_1's balance in QuickBooks: the
// payment's next write is refused as over-applied until pay_0 is gone.
func withRefundBlocked(t *testing.T, w *world) (pay0 string) {
	t.Helper()
	inv := withInvoice(w)
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentWithCredit)
	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	w.receive(billing.KindPayment, "pay_0", "cus_1", 1, strings.ReplaceAll(paymentV1, "pay_1", "pay_0"))
	pay0 = w.linked(billing.KindPayment, "pay_0", qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "52.92",
		PrivateNote: "[billing acme/payment pay_0]",
		Line:        []qbo.Line{{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: inv, TxnType: "Invoice"}}}}})
	w.receive(billing.KindRefund, "ref_1", "cus_1", 1, refundV1)
	return pay0
}

// The payment a refund converges at once is refused (another payment holds
// the invoice's balance): that failure is the payment's, deferred and
// shown on it; the refund, booked, is synced. When the deferred message
// is delivered with the balance freed, the payment applies the refund.
func TestNestedSyncFailureIsDeferredOnItsEntity(t *testing.T) {
	w := newWorld(t)
	pay0 := withRefundBlocked(t, w)

	if err := w.sync(billing.KindRefund, "ref_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindRefund, "ref_1"); st.Status != record.StatusSynced {
		t.Errorf("refund status %s %+v, want synced", st.Status, st.Warning)
	}
	st := w.entity(billing.KindPayment, "pay_1")
	if st.Status != record.StatusNotTried || st.Warning == nil || !st.Warning.Retryable || st.Warning.Code != "6000" {
		t.Errorf("payment status %s %+v, want not_tried with QuickBooks' 6000 fault, retried automatically", st.Status, st.Warning)
	}
	if len(w.queue.deferred) != 1 || w.queue.deferred[0].Kind != billing.KindPayment || w.queue.deferred[0].ID != "pay_1" {
		t.Fatalf("deferred %+v, want pay_1's sync once", w.queue.deferred)
	}

	if err := w.books.Edit("Payment", pay0, func(m map[string]any) { m["Line"] = []any{} }); err != nil {
		t.Fatal(err)
	}
	if err := w.engine.Handle(context.Background(), w.queue.deferred[0]); err != nil {
		t.Fatal(err)
	}
	je := w.link(billing.KindRefund, "ref_1").QBOID
	pays, _ := qbofake.All[qbo.Payment](w.books)
	var applied string
	for _, p := range pays {
		if p.PrivateNote == "[billing acme/payment pay_1]" {
			applied = journalLine(p, je)
		}
	}
	if applied != "10.00" {
		t.Errorf("after the deferred sync pay_1 applies %q to the refund's journal entry, want 10.00", applied)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Errorf("payment status %s %+v after the deferred sync, want synced", st.Status, st.Warning)
	}
}

// The nested payment's failure cannot even be deferred (the queue is
// unreachable): the refund's delivery fails, so the queue delivers the
// refund again and that run converges the payment again. The payment
// shows why meanwhile.
func TestNestedSyncInfrastructureFailureRedeliversTheOuterEntity(t *testing.T) {
	w := newWorld(t)
	withRefundBlocked(t, w)
	w.queue.deferErr = errors.New("sqs: connection refused")

	err := w.sync(billing.KindRefund, "ref_1")
	if err == nil || !strings.Contains(err.Error(), "payment/pay_1") {
		t.Fatalf("Handle = %v, want an error naming payment/pay_1 for the queue to deliver the refund again", err)
	}
	if st := w.entity(billing.KindRefund, "ref_1"); st.Status == record.StatusSynced {
		t.Errorf("refund status synced, want it left for its redelivery")
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Warning == nil || st.Warning.Code != "6000" {
		t.Errorf("payment warning %+v, want QuickBooks' 6000 fault shown", st.Warning)
	}
}
