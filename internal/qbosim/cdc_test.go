package qbosim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func (s *sim) cdc(entities string, since time.Time) result {
	s.t.Helper()
	return s.api(http.MethodGet, "cdc?"+url.Values{"entities": {entities}, "changedSince": {since.Format(time.RFC3339)}, "minorversion": {"75"}}.Encode(), nil)
}

// CDC returns what changed since a time, per entity, with deleted
// transactions as stubs (status Deleted); it looks back at most 30 days.
func TestChangeDataCapture(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	s.customer("Before")
	s.clock.Advance(10 * time.Minute)
	since := s.clock.Now()
	cust := s.customer("After")
	inv := s.invoice(cust, "5", nil)
	gone := s.invoice(cust, "6", nil)
	s.clock.Advance(time.Minute)
	s.api(http.MethodPost, "invoice?operation=delete", map[string]any{"Id": str(gone, "Id"), "SyncToken": "0"})
	r := s.cdc("Customer,Invoice,Payment", since)
	if r.status != http.StatusOK {
		t.Fatalf("cdc: %d %s", r.status, r.raw)
	}
	qrs := list(list(r.body, "CDCResponse")[0].(map[string]any), "QueryResponse")
	if len(qrs) != 3 {
		t.Fatalf("QueryResponse = %v", qrs)
	}
	customers := names(list(qrs[0].(map[string]any), "Customer"), "DisplayName")
	if !equal(customers, []string{"After"}) {
		t.Errorf("customers = %v", customers)
	}
	invoices := list(qrs[1].(map[string]any), "Invoice")
	if len(invoices) != 2 || str(invoices[0].(map[string]any), "Id") != str(inv, "Id") {
		t.Fatalf("invoices = %v", invoices)
	}
	stub := invoices[1].(map[string]any)
	if str(stub, "status") != "Deleted" || str(stub, "Id") != str(gone, "Id") || len(stub) != 4 {
		t.Errorf("deleted stub = %v", stub)
	}
	if len(qrs[2].(map[string]any)) != 0 {
		t.Errorf("payments = %v, want {}", qrs[2])
	}
	wantFault(t, s.cdc("Customer", s.clock.Now().Add(-31*24*time.Hour)), http.StatusBadRequest, "4001")
	wantFault(t, s.cdc("Vendor", since), http.StatusBadRequest, "4001")
}

// One CDC answer holds at most 1000 objects across all entities, oldest
// first.
func TestChangeDataCaptureCap(t *testing.T) {
	s := newSim(t, "", unlimited)
	since := s.clock.Now()
	for b := range 34 {
		var items []any
		for i := range 30 {
			items = append(items, map[string]any{"bId": fmt.Sprint(i), "operation": "create",
				"Customer": map[string]any{"DisplayName": fmt.Sprintf("C%02d-%02d", b, i)}})
		}
		s.api(http.MethodPost, "batch", map[string]any{"BatchItemRequest": items})
		s.clock.Advance(time.Second)
	}
	r := s.cdc("Customer", since)
	rows := list(list(list(r.body, "CDCResponse")[0].(map[string]any), "QueryResponse")[0].(map[string]any), "Customer")
	if len(rows) != 1000 {
		t.Fatalf("rows = %d, want 1000", len(rows))
	}
	if first := str(rows[0].(map[string]any), "DisplayName"); first != "C00-00" {
		t.Errorf("first = %s, want the oldest", first)
	}
	if n := str(list(list(r.body, "CDCResponse")[0].(map[string]any), "QueryResponse")[0].(map[string]any), "totalCount"); n != "1000" {
		t.Errorf("totalCount = %s", n)
	}
}
