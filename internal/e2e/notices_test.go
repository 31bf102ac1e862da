package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// noticeCounts reads the overview's notice count for kind and in all.
func noticeCounts(t testing.TB, s *devstack.Stack, tenant string, kind billing.Kind) (ofKind, all float64) {
	t.Helper()
	status, ov := callAPI(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/"+tenant+"/overview", s.AdminToken(tenant), nil)
	if status != http.StatusOK {
		t.Fatalf("overview: %d %v", status, ov)
	}
	kinds, _ := ov["kinds"].([]any)
	for _, k := range kinds {
		if m, _ := k.(map[string]any); m["kind"] == string(kind) {
			ofKind, _ = m["notices"].(float64)
		}
	}
	all, _ = ov["notices"].(float64)
	return ofKind, all
}

// entityNotice reads an entity through the admin API and returns its
// status and warning.
func entityNotice(t testing.TB, s *devstack.Stack, tenant string, kind billing.Kind, id string) (string, map[string]any) {
	t.Helper()
	status, out := callAPI(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/"+tenant+"/entities/"+string(kind)+"/"+id, s.AdminToken(tenant), nil)
	if status != http.StatusOK {
		t.Fatalf("entity %s/%s: %d %v", kind, id, status, out)
	}
	w, _ := out["warning"].(map[string]any)
	return str(out["status"]), w
}

// TestRenamedCustomerIsANotice: a billing customer created under another
// name because QuickBooks already has the name is synced with a notice
// naming both customers, counted on the overview.
func TestRenamedCustomerIsANotice(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Same Name", "one@example.com"))
	e.drain()
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Same Name", "one@example.com"))
	e.drain()
	status, w := entityNotice(t, s, "acme", billing.KindCustomer, "cus_2")
	msg := str(w["message"])
	if status != "synced" || w["notice"] != true || !strings.Contains(msg, `"Same Name"`) || !strings.Contains(msg, `"Same Name (billing cus_2)"`) {
		t.Errorf("cus_2: %s %v, want synced with a notice naming both customers", status, w)
	}
	if k, all := noticeCounts(t, s, "acme", billing.KindCustomer); k != 1 || all != 1 {
		t.Errorf("overview notices: customers %v, all %v, want 1 and 1", k, all)
	}
}

// TestRedatedDocumentIsANotice: an invoice re-dated out of QuickBooks'
// closed period is a notice, counted on the overview.
func TestRedatedDocumentIsANotice(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.control(http.MethodPatch, "preferences", map[string]any{"books_closed_date": "2026-11-30"})
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Late Co", "l@example.com"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "C-1", "posted", line{id: "l1", qty: "1", unit: 1000}))
	e.drain()
	status, w := entityNotice(t, s, "acme", billing.KindInvoice, "inv_1")
	if status != "synced" || w["notice"] != true || w["retryable"] == true || !strings.Contains(str(w["message"]), "closed period") {
		t.Errorf("inv_1: %s %v, want synced with a notice about the closed period", status, w)
	}
	if k, all := noticeCounts(t, s, "acme", billing.KindInvoice); k != 1 || all != 1 {
		t.Errorf("overview notices: invoices %v, all %v, want 1 and 1", k, all)
	}
}
