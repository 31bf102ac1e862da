package syncer_test

import (
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
)

// QuickBooks' automation applied a credit memo to the invoice on its own
// (a zero-amount payment without a marker): the payment billing sent is
// refused as over-applied, in words the engine does not match. It reads
// the invoice's balance, undoes the automation's application and writes
// the payment again.
func TestOverApplicationByQuickBooksIsUndone(t *testing.T) {
	w := newWorld(t)
	inv := withInvoice(w)
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	memo, err := w.books.Add(qbo.CreditMemo{CustomerRef: &qbo.Ref{Value: cust},
		Line: []qbo.Line{{Amount: "52.92", DetailType: qbo.SalesItemLine}}})
	if err != nil {
		t.Fatal(err)
	}
	auto, err := w.books.Add(qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "0", Line: []qbo.Line{
		{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: inv, TxnType: "Invoice"}}},
		{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: memo, TxnType: "CreditMemo"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Fatalf("status %s %+v, want synced", st.Status, st.Warning)
	}
	pays, _ := qbofake.All[qbo.Payment](w.books)
	if len(pays) != 1 || pays[0].ID == auto || pays[0].TotalAmt != "52.92" {
		t.Fatalf("payments = %+v, want only billing's 52.92 (QuickBooks' own application %s deleted)", pays, auto)
	}
	invs, _ := qbofake.All[qbo.Invoice](w.books)
	if invs[0].Balance != "0.00" {
		t.Errorf("invoice balance %s, want 0.00: paid by billing's payment", invs[0].Balance)
	}
}

// Another billing payment already holds the invoice's balance (its
// update, on another queue, has not synced): the refusal cannot be
// undone, so the payment waits, retried soon, and says why.
func TestOverApplicationByBillingWaits(t *testing.T) {
	w := newWorld(t)
	withInvoiceHeld(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	st := w.entity(billing.KindPayment, "pay_1")
	if st.Status != record.StatusNotTried || st.Warning == nil || !st.Warning.Retryable ||
		st.Warning.Code != "6000" || !strings.Contains(st.Warning.Detail, "exceeds what is open") {
		t.Errorf("status %s %+v, want not_tried with QuickBooks' 6000 fault, retried automatically", st.Status, st.Warning)
	}
	if len(w.queue.deferred) != 1 {
		t.Errorf("deferred %d times, want once", len(w.queue.deferred))
	}
	if n := w.books.Created("Payment"); n != 1 {
		t.Errorf("%d payments created, want only pay_0's", n)
	}
}

// The balance is freed between QuickBooks' refusal and the engine's read
// of it (the other payment is removed by its own sync meanwhile): the
// amounts no longer explain the refusal, so the payment is written once
// more in the same attempt, and syncs.
func TestOverApplicationFreedMeanwhileIsWrittenAgain(t *testing.T) {
	w := newWorld(t)
	inv := withInvoice(w)
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	other, err := w.books.Add(qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "52.92",
		PrivateNote: "[billing acme/payment pay_0]",
		Line:        []qbo.Line{{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: inv, TxnType: "Invoice"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	w.books.RemoveAfter("create Payment", "Payment", other)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Fatalf("status %s %+v, want synced", st.Status, st.Warning)
	}
	pays, _ := qbofake.All[qbo.Payment](w.books)
	if len(pays) != 1 || pays[0].TotalAmt != "52.92" || pays[0].PrivateNote != "[billing acme/payment pay_1]" {
		t.Errorf("payments = %+v, want billing's pay_1 alone", pays)
	}
}

// The read that would explain QuickBooks' refusal fails (the connection
// drops): nothing is known about the balances, so the payment is not
// shown as refused; it waits and is retried like any failed read.
func TestOverApplicationUnreadBalancesAreRetried(t *testing.T) {
	w := newWorld(t)
	withInvoiceHeld(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)
	w.books.Fail("read Invoice", qbofake.Unsent)

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	st := w.entity(billing.KindPayment, "pay_1")
	if st.Status != record.StatusNotTried || (st.Warning != nil && !st.Warning.Retryable) {
		t.Errorf("status %s %+v, want not_tried, retried automatically", st.Status, st.Warning)
	}
	if len(w.queue.deferred) != 1 {
		t.Errorf("deferred %d times, want once", len(w.queue.deferred))
	}
}

// QuickBooks answers a requestid it has seen with its first answer, a
// refusal included. A payment's update refused because another payment
// held the invoice must, once that payment let go, be sent as a new
// request: resent under the refused request's id it would be refused
// forever.
func TestUpdateRefusedOnceIsSentAnewWhenTheBalanceFrees(t *testing.T) {
	w := newWorld(t)
	other := withInvoiceHeld(w)
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	w.receive(billing.KindPayment, "pay_1", "cus_1", 2, strings.Replace(paymentV1, `"version":1`, `"version":2`, 1))
	w.linked(billing.KindPayment, "pay_1", qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "52.92",
		PrivateNote: "[billing acme/payment pay_1]"})

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusNotTried {
		t.Fatalf("while pay_0 holds the invoice: status %s %+v, want not_tried, waiting", st.Status, st.Warning)
	}
	if err := w.books.Edit("Payment", other, func(p map[string]any) { delete(p, "Line") }); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Fatalf("once the invoice is free: status %s %+v, want synced", st.Status, st.Warning)
	}
}

// withInvoiceHeld links inv_1 (52.92) and has another billing payment,
// pay_0, hold all of its balance in QuickBooks; it returns pay_0's
// QuickBooks id.
func withInvoiceHeld(w *world) (pay0 string) {
	inv := withInvoice(w)
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	w.receive(billing.KindPayment, "pay_0", "cus_1", 1, strings.ReplaceAll(paymentV1, "pay_1", "pay_0"))
	return w.linked(billing.KindPayment, "pay_0", qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "52.92",
		PrivateNote: "[billing acme/payment pay_0]",
		Line:        []qbo.Line{{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: inv, TxnType: "Invoice"}}}}})
}
