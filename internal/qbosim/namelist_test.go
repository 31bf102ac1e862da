package qbosim_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// DisplayName is unique across customers, inactive ones included (under
// their " (deleted)" name) and regardless of case: QBO answers 6240
// Duplicate Name Exists.
func TestDuplicateDisplayName(t *testing.T) {
	s := newSim(t, "")
	id := s.customer("Globex")
	c := s.read("Customer", id)
	s.ok("Customer", "", map[string]any{"Id": id, "SyncToken": str(c, "SyncToken"), "sparse": true, "Active": false})
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"DisplayName": "globex (DELETED)"}), http.StatusBadRequest, "6240")
	s.customer("Globex")
	for _, name := range []string{"Globex", "GLOBEX", " globex "} {
		e := wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"DisplayName": name}), http.StatusBadRequest, "6240")
		if e["Message"] != "Duplicate Name Exists Error" {
			t.Errorf("Message = %v", e["Message"])
		}
	}
	// Renaming another customer onto the name collides too.
	other := s.ok("Customer", "", map[string]any{"DisplayName": "Initech"})
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"Id": str(other, "Id"), "SyncToken": "0", "sparse": true, "DisplayName": "globex"}),
		http.StatusBadRequest, "6240")
	// Items and accounts have their own namespaces with the same rule.
	wantFault(t, s.api(http.MethodPost, "item", map[string]any{"Name": "services", "IncomeAccountRef": refTo("9")}), http.StatusBadRequest, "6240")
	wantFault(t, s.api(http.MethodPost, "account", map[string]any{"Name": "Checking", "AccountType": "Bank"}), http.StatusBadRequest, "6240")
}

// Updates carry the current SyncToken; an old one is 5010 Stale Object
// Error, a missing one 2020. Sparse updates change only what is sent.
func TestSyncTokenAndSparseUpdate(t *testing.T) {
	s := newSim(t, "")
	c := s.ok("Customer", "", map[string]any{"DisplayName": "Hooli", "CompanyName": "Hooli Inc", "Notes": "n"})
	id := str(c, "Id")
	up := s.ok("Customer", "", map[string]any{"Id": id, "SyncToken": "0", "sparse": true, "Notes": "changed"})
	wantAmounts(t, up, map[string]string{"SyncToken": "1", "Notes": "changed", "CompanyName": "Hooli Inc"})
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"Id": id, "SyncToken": "0", "sparse": true, "Notes": "x"}),
		http.StatusBadRequest, "5010")
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"Id": id, "sparse": true, "Notes": "x"}), http.StatusBadRequest, "2020")
	// A full update clears what it omits.
	full := s.ok("Customer", "", map[string]any{"Id": id, "SyncToken": "1", "DisplayName": "Hooli"})
	if _, ok := full["CompanyName"]; ok {
		t.Errorf("full update kept CompanyName: %v", full)
	}
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"Id": "424242", "SyncToken": "0", "DisplayName": "Ghost"}),
		http.StatusBadRequest, "610")
}

// Name-list entities cannot be deleted, only made inactive; a customer with
// an open balance cannot even be made inactive ("Delete List Has Balance").
func TestNameListEntitiesAreDeactivatedNotDeleted(t *testing.T) {
	s := newSim(t, "")
	id := s.customer("Umbrella")
	wantFault(t, s.api(http.MethodPost, "customer?operation=delete", map[string]any{"Id": id, "SyncToken": "0"}), http.StatusBadRequest, "500")
	wantFault(t, s.api(http.MethodPost, "item?operation=delete", map[string]any{"Id": "15", "SyncToken": "0"}), http.StatusBadRequest, "500")
	inv := s.invoice(id, "25", nil)
	c := s.read("Customer", id)
	if str(c, "Balance") != "25.00" {
		t.Fatalf("customer Balance = %s", str(c, "Balance"))
	}
	e := wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"Id": id, "SyncToken": str(c, "SyncToken"), "sparse": true, "Active": false}),
		http.StatusBadRequest, "6000")
	if e["Message"] != "Delete List Has Balance Error" {
		t.Errorf("Message = %v", e["Message"])
	}
	s.ok("Payment", "", map[string]any{"CustomerRef": refTo(id), "TotalAmt": json.Number("25"), "Line": []any{payLine("25", "Invoice", str(inv, "Id"))}})
	c = s.read("Customer", id)
	off := s.ok("Customer", "", map[string]any{"Id": id, "SyncToken": str(c, "SyncToken"), "sparse": true, "Active": false})
	if str(off, "Active") != "false" {
		t.Errorf("Active = %v", off["Active"])
	}
	// Still readable, and still there for queries that ask for inactive records.
	s.read("Customer", id)
}

// A reference to an inactive record is 610 Object Not Found; to a record
// that does not exist, 2500 Invalid Reference Id.
func TestReferencesMustExistAndBeActive(t *testing.T) {
	s := newSim(t, "")
	id := s.customer("Soylent")
	s.ok("Customer", "", map[string]any{"Id": id, "SyncToken": "0", "sparse": true, "Active": false})
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(id), "Line": []any{itemLine("1")}}), http.StatusBadRequest, "610")
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo("9999"), "Line": []any{itemLine("1")}}), http.StatusBadRequest, "2500")
	active := s.customer("Tyrell")
	item := s.ok("Item", "", map[string]any{"Name": "Old plan", "IncomeAccountRef": refTo("9")})
	s.ok("Item", "", map[string]any{"Id": str(item, "Id"), "SyncToken": "0", "sparse": true, "Active": false})
	line := itemLine("1")
	line["SalesItemLineDetail"] = map[string]any{"ItemRef": refTo(str(item, "Id"))}
	e := wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(active), "Line": []any{line}}), http.StatusBadRequest, "610")
	if e["element"] != "Line[0].SalesItemLineDetail.ItemRef" {
		t.Errorf("element = %v", e["element"])
	}
}

// Required properties missing are 2020: a customer needs a name, an item an
// income account, an account a type.
func TestRequiredProperties(t *testing.T) {
	s := newSim(t, "")
	tests := []struct {
		entity string
		body   map[string]any
	}{
		{"customer", map[string]any{"Notes": "no name"}},
		{"item", map[string]any{"Name": "No account", "Type": "Service"}},
		{"account", map[string]any{"Name": "No type"}},
		{"invoice", map[string]any{"Line": []any{itemLine("1")}}},
		{"invoice", map[string]any{"CustomerRef": refTo(s.customer("Req Co"))}},
		{"payment", map[string]any{"CustomerRef": refTo("20")}},
	}
	for _, tc := range tests {
		wantFault(t, s.api(http.MethodPost, tc.entity, tc.body), http.StatusBadRequest, "2020")
	}
	// A customer named only by its parts gets them as DisplayName.
	c := s.ok("Customer", "", map[string]any{"GivenName": "Ada", "FamilyName": "Lovelace"})
	if str(c, "DisplayName") != "Ada Lovelace" {
		t.Errorf("DisplayName = %q", str(c, "DisplayName"))
	}
}

// Sub-customers are named Parent:Child and roll into the parent's
// BalanceWithJobs.
func TestSubCustomers(t *testing.T) {
	s := newSim(t, "")
	parent := s.customer("Parent Co")
	child := s.ok("Customer", "", map[string]any{"DisplayName": "Project X", "ParentRef": refTo(parent), "Job": true})
	if str(child, "FullyQualifiedName") != "Parent Co:Project X" || str(child, "Job") != "true" {
		t.Errorf("child = %v", child)
	}
	s.invoice(str(child, "Id"), "30", nil)
	p := s.read("Customer", parent)
	wantAmounts(t, p, map[string]string{"Balance": "0.00", "BalanceWithJobs": "30.00"})
}
