package qbosim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// Batch runs items in order; each fails on its own with a Fault while the
// call answers 200. Queries and voids (optionsData) work inside a batch.
func TestBatchPerItemFaults(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Batch Co")
	inv := s.invoice(cust, "10", nil)
	r := s.api(http.MethodPost, "batch?minorversion=75", map[string]any{"BatchItemRequest": []any{
		map[string]any{"bId": "1", "operation": "create", "Customer": map[string]any{"DisplayName": "Batch New"}},
		map[string]any{"bId": "2", "operation": "create", "Customer": map[string]any{"DisplayName": "Batch Co"}},
		map[string]any{"bId": "3", "Query": "select * from Customer where DisplayName = 'Batch New'"},
		map[string]any{"bId": "4", "operation": "create", "Payment": map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("10"),
			"Line": []any{payLine("10", "Invoice", str(inv, "Id"))}}},
		map[string]any{"bId": "5", "operation": "update", "optionsData": "void", "Payment": map[string]any{"Id": "placeholder"}},
		map[string]any{"bId": "6", "operation": "delete", "Customer": map[string]any{"Id": cust, "SyncToken": "0"}},
	}})
	if r.status != http.StatusOK {
		t.Fatalf("batch: %d %s", r.status, r.raw)
	}
	items := list(r.body, "BatchItemResponse")
	if len(items) != 6 {
		t.Fatalf("items = %d", len(items))
	}
	item := func(i int) map[string]any { return items[i].(map[string]any) }
	if str(obj(item(0), "Customer"), "DisplayName") != "Batch New" || str(item(0), "bId") != "1" {
		t.Errorf("item 1 = %v", item(0))
	}
	wantFaultBody(t, item(1), "6240")
	if n := len(list(obj(item(2), "QueryResponse"), "Customer")); n != 1 {
		t.Errorf("query item = %v", item(2))
	}
	if str(obj(item(3), "Payment"), "UnappliedAmt") != "0.00" {
		t.Errorf("payment item = %v", item(3))
	}
	wantFaultBody(t, item(4), "610")
	wantFaultBody(t, item(5), "500")
	if b := str(s.read("Invoice", str(inv, "Id")), "Balance"); b != "0.00" {
		t.Errorf("the batch payment did not apply: Balance %s", b)
	}
	pay := obj(item(3), "Payment")
	v := s.api(http.MethodPost, "batch", map[string]any{"BatchItemRequest": []any{
		map[string]any{"bId": "v", "operation": "update", "optionsData": "void", "Payment": map[string]any{"Id": str(pay, "Id"), "SyncToken": "0"}},
	}})
	if got := obj(list(v.body, "BatchItemResponse")[0].(map[string]any), "Payment"); str(got, "TotalAmt") != "0.00" {
		t.Errorf("batch void = %s", v.raw)
	}
}

// A batch holds at most 30 items.
func TestBatchSizeLimit(t *testing.T) {
	s := newSim(t, "")
	var items []any
	for i := range 31 {
		items = append(items, map[string]any{"bId": fmt.Sprint(i), "operation": "create", "Customer": map[string]any{"DisplayName": fmt.Sprint("C", i)}})
	}
	wantFault(t, s.api(http.MethodPost, "batch", map[string]any{"BatchItemRequest": items}), http.StatusBadRequest, "6000")
	r := s.api(http.MethodPost, "batch", map[string]any{"BatchItemRequest": items[:30]})
	if r.status != http.StatusOK || len(list(r.body, "BatchItemResponse")) != 30 {
		t.Errorf("30 items: %d", r.status)
	}
	if got := str(s.query("select count(*) from Customer"), "totalCount"); got != "30" {
		t.Errorf("customers = %s", got)
	}
}
