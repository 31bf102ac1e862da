package reconcile

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

func state(t *testing.T, kind billing.Kind, id string, st store.Status, data map[string]any) store.EntityState {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return store.EntityState{Snapshot: store.Snapshot{Kind: kind, ID: id, Version: 1, Action: billing.ActionCreated, Data: raw}, Status: st}
}

func invoiceData(id, customer string, total int64, status string) map[string]any {
	return map[string]any{"id": id, "version": 1, "customer_id": customer, "number": "N-" + id, "status": status,
		"issued_on": "2026-11-01", "due_on": "2026-12-01", "currency": "USD",
		"lines":    []map[string]any{{"id": "l1", "description": "x", "quantity": "1", "unit_amount": total, "amount": total, "discount_amount": 0, "tax_amount": 0}},
		"subtotal": total, "discount_total": 0, "tax_total": 0, "total": total, "amount_due": total}
}

// A synthetic company: billing's history, its links, and what QuickBooks
// holds of it.
func testBooks(t *testing.T) books {
	t.Helper()
	states := []store.EntityState{
		state(t, billing.KindCustomer, "cus_1", store.StatusSynced, map[string]any{"id": "cus_1", "version": 1, "display_name": "A", "email": "a@example.com", "currency": "USD"}),
		state(t, billing.KindInvoice, "inv_1", store.StatusSynced, invoiceData("inv_1", "cus_1", 10000, "posted")),
		state(t, billing.KindInvoice, "inv_2", store.StatusSkipped, invoiceData("inv_2", "cus_1", 999, "draft")),
		state(t, billing.KindPayment, "pay_1", store.StatusSynced, map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1",
			"received_on": "2026-11-02", "amount": 6000, "currency": "USD", "method": "card",
			"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 4000}}}),
		state(t, billing.KindRefund, "ref_1", store.StatusSynced, map[string]any{"id": "ref_1", "version": 1, "customer_id": "cus_1",
			"payment_id": "pay_1", "refunded_on": "2026-11-03", "amount": 500, "currency": "USD"}),
	}
	l, err := buildLedger(states)
	if err != nil {
		t.Fatal(err)
	}
	link := func(kind billing.Kind, id, qboID, token string) store.Link {
		return store.Link{Kind: kind, ID: id, State: store.LinkLinked, QBOID: qboID, SyncToken: token}
	}
	b := books{ledger: l, links: map[billing.Ref]store.Link{}, objects: map[string]store.QBOObject{}}
	for _, lk := range []store.Link{link("customer", "cus_1", "1", "0"), link("invoice", "inv_1", "10", "1"),
		link("payment", "pay_1", "20", "0"), link("refund", "ref_1", "30", "0")} {
		b.links[billing.Ref{Kind: lk.Kind, ID: lk.ID}] = lk
	}
	for _, o := range []store.QBOObject{
		{Entity: "Invoice", QBOID: "10", SyncToken: "2", CustomerID: "1", Currency: "USD", TxnDate: "2026-11-01", Total: 10000, Balance: 6000, State: store.QBOActive, Marker: "invoice inv_1", Lines: []int64{10000}},
		{Entity: "Payment", QBOID: "20", SyncToken: "0", CustomerID: "1", Currency: "USD", TxnDate: "2026-11-02", Total: 6000, Open: 1500, State: store.QBOActive, Marker: "payment pay_1",
			Applied: []store.Applied{{TxnType: "Invoice", TxnID: "10", Amount: 4000}}},
		{Entity: "JournalEntry", QBOID: "30", SyncToken: "0", Currency: "USD", TxnDate: "2026-11-03", Total: 500, State: store.QBOActive, Marker: "refund ref_1"},
	} {
		b.objects[objKey(o.Entity, o.QBOID)] = o
	}
	return b
}

func TestAgreeingBooksMatch(t *testing.T) {
	b := testBooks(t)
	if d := b.drift(); len(d) != 0 {
		t.Errorf("drift on agreeing books: %+v", d)
	}
	cs := b.customers()
	want := store.CustomerRecon{CustomerID: "cus_1", QBOID: "1", Currency: "USD", BillingOpenAR: "60.00", QBOOpenAR: "60.00",
		BillingUnapplied: "15.00", QBOUnapplied: "15.00", Status: "matched"}
	if len(cs) != 1 || cs[0] != want {
		t.Errorf("customers = %+v, want %+v (draft left out; the refund taken off the payment's rest)", cs, want)
	}
	got := map[billing.Kind]store.KindTotal{}
	for _, tt := range b.totals() {
		got[tt.Kind] = tt
	}
	if inv := got[billing.KindInvoice]; inv.BillingCount != 1 || inv.QBOCount != 1 || inv.BillingAmount != "100.00" || inv.QBOAmount != "100.00" {
		t.Errorf("invoice totals = %+v", inv)
	}
}

func TestDriftNamesTheFieldsQuickBooksChanged(t *testing.T) {
	b := testBooks(t)
	inv := b.objects["Invoice 10"]
	inv.Total, inv.TxnDate, inv.CustomerID, inv.Lines, inv.Balance = 12000, "2026-11-09", "7", []int64{10000, 2000}, 5300
	b.objects["Invoice 10"] = inv
	pay := b.objects["Payment 20"]
	pay.State = store.QBOVoided
	b.objects["Payment 20"] = pay
	b.objects["Payment 99"] = store.QBOObject{Entity: "Payment", QBOID: "99", CustomerID: "1", Currency: "USD", Total: 700, State: store.QBOActive,
		Applied: []store.Applied{{TxnType: "Invoice", TxnID: "10", Amount: 700}}}
	b.objects["Invoice 11"] = store.QBOObject{Entity: "Invoice", QBOID: "11", Currency: "USD", State: store.QBOActive, Marker: "invoice inv_1"}
	b.objects["Invoice 12"] = store.QBOObject{Entity: "Invoice", QBOID: "12", Currency: "USD", State: store.QBOActive, Marker: "invoice inv_gone"}
	var got []string
	for _, d := range b.drift() {
		got = append(got, string(d.Kind)+"/"+d.ID+" "+d.Field+": "+d.Billing+" | "+d.QuickBooks)
	}
	want := []string{
		"invoice/inv_1 amount: 100.00 | 120.00",
		"invoice/inv_1 balance: 60.00 | 53.00",
		"invoice/inv_1 customer: QuickBooks customer 1 | QuickBooks customer 7",
		"invoice/inv_1 date: 2026-11-01 | 2026-11-09",
		"invoice/inv_1 duplicate: Invoice 10 | also Invoice 11",
		"invoice/inv_1 lines: 1 line: 100.00 | 2 lines: 100.00, 20.00",
		"invoice/inv_1 payment: none | Payment 99 applies 7.00",
		"invoice/inv_gone orphan: no link | Invoice 12",
		"payment/pay_1 status: recorded | voided",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("drift:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w := warning(b.drift()[:1]); !strings.Contains(w.Message, "amount: billing 100.00, QuickBooks 120.00") || w.Code != "drifted" {
		t.Errorf("warning = %+v", w)
	}
}

func TestUnchangedSyncTokenIsNoDrift(t *testing.T) {
	b := testBooks(t)
	inv := b.objects["Invoice 10"]
	inv.SyncToken, inv.Total = "1", 1 // what the sync wrote, however QBO computed it
	b.objects["Invoice 10"] = inv
	for _, d := range b.drift() {
		if d.Field == "amount" {
			t.Errorf("drift on an object still at the SyncToken the sync wrote: %+v", d)
		}
	}
}

func TestObjectReadsAmountsExactly(t *testing.T) {
	var tx txn
	raw := `{"Id":"5","SyncToken":"3","TotalAmt":108.25,"Balance":0.1,"CustomerRef":{"value":"1"},"PrivateNote":"[billing credit cr_1] application",
		"Line":[{"Amount":99.99,"LinkedTxn":[{"TxnId":"10","TxnType":"Invoice"}]}]}`
	if err := json.Unmarshal([]byte(raw), &tx); err != nil {
		t.Fatal(err)
	}
	o, err := object("Payment", tx, store.QBOObject{}, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if o.Total != 10825 || o.Balance != 10 || o.Marker != "credit cr_1 application" || len(o.Applied) != 1 || o.Applied[0].Amount != 9999 {
		t.Errorf("object = %+v", o)
	}
	voided, err := object("Payment", txn{ID: "5", PrivateNote: "Voided"}, o, "USD")
	if err != nil || voided.State != store.QBOVoided || voided.Marker != o.Marker || voided.CustomerID != "1" {
		t.Errorf("voided = %+v, %v: want the marker and customer kept from before", voided, err)
	}
	if d, _ := object("Invoice", txn{ID: "6", Status: "Deleted"}, store.QBOObject{}, "USD"); d.State != store.QBODeleted {
		t.Errorf("deleted stub = %+v", d)
	}
	if _, err := object("Invoice", txn{ID: "7", TotalAmt: "1.234"}, store.QBOObject{}, "USD"); err == nil {
		t.Error("an amount with more decimals than USD has was read")
	}
}
