package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// TestFirstSyncDefaultsKeepAnAdminsConcurrentChange: an admin saves a
// setting while the first sync is filling in the company's defaults; both
// survive.
func TestFirstSyncDefaultsKeepAnAdminsConcurrentChange(t *testing.T) {
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	// The first sync reads the settings, then waits on the chart of accounts.
	e.fault(map[string]any{"entity": "Account", "operation": "query", "latency_ms": 3000})
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	time.Sleep(1500 * time.Millisecond)
	settings := s.GatewayURL() + "/api/v1/tenants/acme/settings"
	if status, out := callAPI(t, http.MethodPatch, settings, s.AdminToken("acme"), map[string]any{"sync_from": "2020-01-01"}); status != http.StatusOK {
		t.Fatalf("PATCH settings: %d %v", status, out)
	}
	e.drain()
	status, out := callAPI(t, http.MethodGet, settings, s.AdminToken("acme"), nil)
	if status != http.StatusOK {
		t.Fatalf("GET settings: %d %v", status, out)
	}
	if got := field(out, "settings", "sync_from"); got != "2020-01-01" {
		t.Errorf("sync_from after the first sync = %v, want the admin's 2020-01-01 (settings %v)", got, out["settings"])
	}
	if got := field(out, "settings", "revenue_account_id"); got == nil || got == "" {
		t.Errorf("the first sync's default revenue ledger was lost: settings %v", out["settings"])
	}
	if st := e.status(billing.KindCustomer, "cus_1"); st != "synced" {
		t.Errorf("cus_1: %s", st)
	}
}

// TestSettingsSaveThatLostTheRaceChangesNothing: of two admins saving
// settings at once, the one whose read is stale gets 409 and the other's
// change stays.
func TestSettingsSaveThatLostTheRaceChangesNothing(t *testing.T) {
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain() // the defaults are in place
	settings := s.GatewayURL() + "/api/v1/tenants/acme/settings"
	_, before := callAPI(t, http.MethodGet, settings, s.AdminToken("acme"), nil)
	// The first save checks its new ledger against QuickBooks, slowly.
	e.fault(map[string]any{"entity": "Account", "operation": "query", "latency_ms": 2000})
	slow := make(chan int, 1)
	go func() {
		status, _ := callAPI(t, http.MethodPatch, settings, s.AdminToken("acme"),
			map[string]any{"revenue_account_id": field(before, "settings", "discount_account_id")})
		slow <- status
	}()
	time.Sleep(500 * time.Millisecond)
	if status, out := callAPI(t, http.MethodPatch, settings, s.AdminToken("acme"), map[string]any{"sync_from": "2020-01-01"}); status != http.StatusOK {
		t.Fatalf("the quick save: %d %v", status, out)
	}
	if status := <-slow; status != http.StatusConflict {
		t.Errorf("the save that read the settings before the quick one: %d, want 409", status)
	}
	_, after := callAPI(t, http.MethodGet, settings, s.AdminToken("acme"), nil)
	if field(after, "settings", "sync_from") != "2020-01-01" {
		t.Errorf("settings after both saves: %v, want the quick save's sync_from kept", after["settings"])
	}
}
