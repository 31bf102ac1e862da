package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
)

// TestThrottleInEveryShapeIsRetried: QuickBooks' ThrottleExceeded (3001)
// also arrives as an XML IntuitResponse and with 403, 500 or 400 instead
// of 429 (docs/qbosim.md, rule 3). Each is a rate limit: the entity is
// retried and syncs once, never ends as a warning.
func TestThrottleInEveryShapeIsRetried(t *testing.T) {
	e := newTenant(t, fastStack(t), "throttled")
	e.fault(map[string]any{"entity": "Customer", "operation": "create", "throttle": true, "status": 403, "format": "xml"})
	e.fault(map[string]any{"entity": "Item", "operation": "create", "throttle": true, "status": 500, "format": "xml"})
	e.fault(map[string]any{"entity": "Invoice", "operation": "create", "throttle": true, "status": 400})

	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Throttled Ltd", "t@example.com"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	e.drain()
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "T-1", "posted",
		line{id: "l1", product: "prod_1", qty: "1", unit: 1000}))
	e.drain()

	resp, err := http.Get(e.stack.QBOURL() + "/_sim/companies/" + e.realm + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		FaultsInjected int `json:"faults_injected"`
	}
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil || stats.FaultsInjected != 3 {
		t.Errorf("throttle answers sent = %d (%v), want 3", stats.FaultsInjected, err)
	}
	for _, ref := range []billing.Ref{{Kind: billing.KindCustomer, ID: "cus_1"}, {Kind: billing.KindProduct, ID: "prod_1"}, {Kind: billing.KindInvoice, ID: "inv_1"}} {
		if got := e.status(ref.Kind, ref.ID); got != "synced" {
			t.Errorf("%s: %s, want synced", ref, got)
		}
	}
	for stmt, want := range map[string]int{
		"select count(*) from Customer": 1, "select count(*) from Item where Name = 'Plan'": 1, "select count(*) from Invoice": 1,
	} {
		if n := e.count(stmt); n != want {
			t.Errorf("%s = %d, want %d", stmt, n, want)
		}
	}
}
