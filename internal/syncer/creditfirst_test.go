package syncer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/syncer"
)

// autoApplyWorld is a world whose company keeps QuickBooks' default
// "Automatically apply credits", with customer cus_1 linked.
func autoApplyWorld(t *testing.T) *world {
	w := newWorld(t)
	w.books.SetPreferences(qbo.Preferences{SalesFormsPrefs: &qbo.SalesFormsPrefs{AutoApplyCredit: qbo.Bool(true)}})
	withCustomer(w)
	return w
}

// numberedInvoiceJSON is invoice inv_n (INV-n) of 49.00 with 3.92 tax.
func numberedInvoiceJSON(n int) string {
	return fmt.Sprintf(`{"id":"inv_%d","version":1,"customer_id":"cus_1","number":"INV-%d","status":"posted",
		"issued_on":"2026-11-21","due_on":"2026-12-21","currency":"USD",
		"lines":[{"id":"li_1","description":"Basic plan","quantity":"1","unit_amount":4900,"amount":4900,
			"discount_amount":0,"tax_amount":392,"tax_code":"TAX"}],
		"subtotal":4900,"discount_total":0,"tax_total":392,"total":5292,"amount_due":5292}`, n, n)
}

// creditPaymentJSON is a payment billing keeps whole as the customer's
// credit: it applies to no invoice.
func creditPaymentJSON(id string, minor int64) string {
	return fmt.Sprintf(`{"id":"%s","version":1,"customer_id":"cus_1","received_on":"2026-11-20","amount":%d,
		"currency":"USD","method":"card","reference":"ch_%s","applications":[]}`, id, minor, id)
}

// syncOK syncs kind/id and wants it synced.
func (w *world) syncOK(kind billing.Kind, id string) {
	w.t.Helper()
	if err := w.sync(kind, id); err != nil {
		w.t.Fatal(err)
	}
	if st := w.entity(kind, id); st.Status != record.StatusSynced {
		w.t.Fatalf("%s %s: status %s %+v, want synced", kind, id, st.Status, st.Warning)
	}
}

// callsSince names the calls the company received after the first n.
func (w *world) callsSince(n int) []string {
	var ops []string
	for _, c := range w.books.Calls()[n:] {
		ops = append(ops, c.Op)
	}
	return ops
}

// wantUnapplied checks that payment id applies nothing and holds amt.
func wantUnapplied(t *testing.T, w *world, id, amt string) {
	t.Helper()
	p := qboObject[qbo.Payment](t, w, id)
	if len(p.Line) != 0 || p.UnappliedAmt != json.Number(amt) {
		t.Errorf("payment %s: lines %+v, unapplied %s; want none and %s", id, p.Line, p.UnappliedAmt, amt)
	}
}

// wantOpen checks invoice id's total and balance in QuickBooks.
func wantOpen(t *testing.T, w *world, id, total string) {
	t.Helper()
	inv := qboObject[qbo.Invoice](t, w, id)
	if inv.TotalAmt != json.Number(total) || inv.Balance != json.Number(total) {
		t.Errorf("invoice %s: total %s, balance %s; want %s open", id, inv.TotalAmt, inv.Balance, total)
	}
}

func qboObject[T qbo.Entity](t *testing.T, w *world, id string) T {
	t.Helper()
	all, err := qbofake.All[T](w.books)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		if got, _ := v.Identity(); got == id {
			return v
		}
	}
	var zero T
	t.Fatalf("no %s %s in QuickBooks", zero.EntityName(), id)
	return zero
}

// The customer holds a 20.00 payment billing applies to nothing.
// QuickBooks applies it to the first new invoice; the engine takes it
// back, and creates the customer's next invoice empty first, so nothing
// is applied to it: one create and one update, no payment read or
// written again.
func TestNextInvoiceOfACustomerHoldingCreditIsCreatedEmptyFirst(t *testing.T) {
	w := autoApplyWorld(t)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, creditPaymentJSON("pay_1", 2000))
	w.syncOK(billing.KindPayment, "pay_1")
	pay := w.link(billing.KindPayment, "pay_1").QBOID

	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, numberedInvoiceJSON(1))
	w.syncOK(billing.KindInvoice, "inv_1")
	wantUnapplied(t, w, pay, "20.00")
	wantOpen(t, w, w.link(billing.KindInvoice, "inv_1").QBOID, "52.92")

	before := len(w.books.Calls())
	w.receive(billing.KindInvoice, "inv_2", "cus_1", 1, numberedInvoiceJSON(2))
	w.syncOK(billing.KindInvoice, "inv_2")

	if got, want := w.callsSince(before), []string{"create Invoice", "update Invoice"}; !slices.Equal(got, want) {
		t.Errorf("calls for the second invoice = %v, want %v", got, want)
	}
	inv := qboObject[qbo.Invoice](t, w, w.link(billing.KindInvoice, "inv_2").QBOID)
	if len(inv.Line) != 1 || inv.Line[0].Amount != "49.00" || inv.TxnTaxDetail == nil || inv.TxnTaxDetail.TotalTax != "3.92" {
		t.Errorf("second invoice lines %+v, tax %+v; want billing's 49.00 line and 3.92 tax", inv.Line, inv.TxnTaxDetail)
	}
	wantOpen(t, w, inv.ID, "52.92")
	wantUnapplied(t, w, pay, "20.00")
	if n := w.books.Created("Invoice"); n != 2 {
		t.Errorf("%d invoices created, want 2", n)
	}
}

// QuickBooks applies two of the customer's credit payments to a new
// invoice: the engine reads both in one query, not one read each, and
// gives both their money back.
func TestPaymentsAppliedToANewInvoiceAreReadInOneQuery(t *testing.T) {
	w := autoApplyWorld(t)
	for _, id := range []string{"pay_1", "pay_2"} {
		w.receive(billing.KindPayment, id, "cus_1", 1, creditPaymentJSON(id, 2000))
		w.syncOK(billing.KindPayment, id)
	}
	before := len(w.books.Calls())
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, numberedInvoiceJSON(1))
	w.syncOK(billing.KindInvoice, "inv_1")

	calls := w.callsSince(before)
	if slices.Contains(calls, "read Payment") || !slices.Contains(calls, "query Payment") {
		t.Errorf("calls = %v, want the applied payments read by one query", calls)
	}
	for _, id := range []string{"pay_1", "pay_2"} {
		wantUnapplied(t, w, w.link(billing.KindPayment, id).QBOID, "20.00")
	}
	wantOpen(t, w, w.link(billing.KindInvoice, "inv_1").QBOID, "52.92")
}

// The write of billing's lines over an invoice created empty never
// arrives: the link still holds the create's intent, so nothing applies
// money to the empty invoice, and the next delivery finds the invoice by
// its number and writes the lines over it. One invoice, billing's amounts.
func TestEmptyInvoiceWhoseLinesWereNotWrittenIsCompletedOnce(t *testing.T) {
	w := autoApplyWorld(t)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, creditPaymentJSON("pay_1", 2000))
	w.syncOK(billing.KindPayment, "pay_1")
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, numberedInvoiceJSON(1))
	w.syncOK(billing.KindInvoice, "inv_1")

	w.books.Fail("update Invoice", qbofake.Unsent)
	w.receive(billing.KindInvoice, "inv_2", "cus_1", 1, numberedInvoiceJSON(2))
	_ = w.sync(billing.KindInvoice, "inv_2") // deferred: QuickBooks did not answer
	if l := w.link(billing.KindInvoice, "inv_2"); l.Linked() {
		t.Fatalf("link %+v is linked to an invoice still empty", l)
	}
	w.syncOK(billing.KindInvoice, "inv_2")

	if n := w.books.Created("Invoice"); n != 2 {
		t.Errorf("%d invoices created, want 2", n)
	}
	wantOpen(t, w, w.link(billing.KindInvoice, "inv_2").QBOID, "52.92")
	wantUnapplied(t, w, w.link(billing.KindPayment, "pay_1").QBOID, "20.00")
}

// receiveVoid stores a snapshot that voids its document, as the webhook
// does for a "voided" event.
func (w *world) receiveVoid(kind billing.Kind, id, customer string, version int64, data string) {
	w.t.Helper()
	err := w.store.PutSnapshot(context.Background(), record.Snapshot{Tenant: tenant, Kind: kind, ID: id,
		Version: version, CustomerID: customer, Action: billing.ActionVoided, EventID: fmt.Sprintf("evt_%s_%d", id, version),
		OccurredAt: clock, ReceivedAt: clock, Data: []byte(data)})
	if err != nil {
		w.t.Fatal(err)
	}
}

// Billing voids a credit it applied to an invoice. Everything QuickBooks'
// automation made for the credit memo is named by its LinkedTxn and
// deleted before the void, so the void searches none of the customer's
// payments afterwards, and the memo is voided at the SyncToken that
// read gave: the memo and its application are voided and the invoice is
// open again, in three calls.
func TestVoidedCreditSearchesNoPaymentsAfterwards(t *testing.T) {
	w := newWorld(t)
	inv := withInvoice(w)
	credit := func(version int64) string {
		return fmt.Sprintf(`{"id":"cr_1","version":%d,"customer_id":"cus_1","issued_on":"2026-11-22","amount":1000,
			"currency":"USD","reason":"Outage","applications":[{"invoice_id":"inv_1","amount":1000}]}`, version)
	}
	w.receive(billing.KindCredit, "cr_1", "cus_1", 1, credit(1))
	w.syncOK(billing.KindCredit, "cr_1")
	if got := qboObject[qbo.Invoice](t, w, inv).Balance; got != "42.92" {
		t.Fatalf("invoice balance %s after the credit, want 42.92", got)
	}

	// In QuickBooks the application's void moves the memo's SyncToken on:
	// the void of the memo must use the token of the read just made.
	memoID := w.link(billing.KindCredit, "cr_1").QBOID
	w.books.EditBefore("read CreditMemo", "CreditMemo", memoID, func(map[string]any) {})
	before := len(w.books.Calls())
	w.receiveVoid(billing.KindCredit, "cr_1", "cus_1", 2, credit(2))
	w.syncOK(billing.KindCredit, "cr_1")

	if got, want := w.callsSince(before), []string{"void Payment", "read CreditMemo", "void CreditMemo"}; !slices.Equal(got, want) {
		t.Errorf("calls for the void = %v, want %v", got, want)
	}
	wantOpen(t, w, inv, "52.92")
	memo := qboObject[qbo.CreditMemo](t, w, memoID)
	app := qboObject[qbo.Payment](t, w, w.link(billing.KindCredit, "cr_1#application").QBOID)
	if memo.TotalAmt != "0" || memo.PrivateNote != "Voided" || app.PrivateNote != "Voided" {
		t.Errorf("memo %s %q, application %q; want both voided", memo.TotalAmt, memo.PrivateNote, app.PrivateNote)
	}
}

// closedThrough is the fake company with its books closed through a day:
// a create dated on or before it is refused with 6210, as QuickBooks does.
type closedThrough struct {
	*qbofake.Company
	day string
}

func (c closedThrough) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	var doc struct{ TxnDate string }
	if strings.HasPrefix(r.Op, "create ") && json.Unmarshal(r.Body, &doc) == nil && doc.TxnDate != "" && doc.TxnDate <= c.day {
		return qbo.Parse(r.Op, http.StatusBadRequest, []byte(`{"Fault":{"Error":[{"Message":"Account Period Closed",`+
			`"Detail":"The account period has closed and the books are locked.","code":"6210"}],"type":"ValidationFault"}}`))
	}
	return c.Company.Do(ctx, r)
}

// An invoice of a customer holding credit is dated inside QuickBooks'
// closed period: it is posted on the first open day whole (an empty
// invoice could not be written over there), and what the automation
// applied to it is taken back.
func TestInvoiceOfACustomerHoldingCreditInAClosedPeriodIsPostedWhole(t *testing.T) {
	w := autoApplyWorld(t)
	w.books.SetPreferences(qbo.Preferences{SalesFormsPrefs: &qbo.SalesFormsPrefs{AutoApplyCredit: qbo.Bool(true)},
		AccountingInfoPrefs: &qbo.AccountingInfoPrefs{BookCloseDate: "2026-11-21"}})
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return closedThrough{Company: w.books, day: "2026-11-21"} }))
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, strings.Replace(creditPaymentJSON("pay_1", 2000), "2026-11-20", "2026-11-22", 1))
	w.syncOK(billing.KindPayment, "pay_1")
	pay := w.link(billing.KindPayment, "pay_1").QBOID
	for _, n := range []int{1, 2} {
		id := fmt.Sprintf("inv_%d", n)
		w.receive(billing.KindInvoice, id, "cus_1", 1, numberedInvoiceJSON(n))
		w.syncOK(billing.KindInvoice, id)
		inv := qboObject[qbo.Invoice](t, w, w.link(billing.KindInvoice, id).QBOID)
		if inv.TxnDate != "2026-11-22" || len(inv.Line) != 1 || inv.Line[0].Amount != "49.00" {
			t.Errorf("%s: dated %s, lines %+v; want billing's line on 2026-11-22", id, inv.TxnDate, inv.Line)
		}
		wantOpen(t, w, inv.ID, "52.92")
	}
	wantUnapplied(t, w, pay, "20.00")
}
