package e2e

import (
	"net/http"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// disconnect posts /qbo/disconnect as the tenant's admin.
func disconnect(t testing.TB, s *devstack.Stack, tenant string, body map[string]any) (int, map[string]any) {
	t.Helper()
	body["tenant"] = tenant
	return callAPI(t, http.MethodPost, s.GatewayURL()+"/qbo/disconnect", s.AdminToken(tenant), body)
}

// TestDisconnectReconnectWithoutDuplicates: a disconnect revokes the grant
// and pauses syncing; reconnecting the same company resumes with the kept
// links; after links were forgotten (two confirmed steps) the resync
// re-latches to the objects QuickBooks holds. Nothing exists twice.
func TestDisconnectReconnectWithoutDuplicates(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	// Parents sync before the invoice is posted, so the invoice does not
	// wait in this first round.
	e.mustPost(http.StatusAccepted, "product.created", product("prod_basic", "Basic plan"))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "INV-1", "posted",
		line{id: "l1", product: "prod_basic", qty: "1", unit: 4900}))
	e.drain()
	books := func(step string, customers, invoices, items int) {
		t.Helper()
		if n := e.count("select count(*) from Customer"); n != customers {
			t.Errorf("%s: customers = %d, want %d", step, n, customers)
		}
		if n := e.count("select count(*) from Invoice"); n != invoices {
			t.Errorf("%s: invoices = %d, want %d", step, n, invoices)
		}
		if n := e.count("select count(*) from Item where Name = 'Basic plan'"); n != items {
			t.Errorf("%s: items named Basic plan = %d, want %d", step, n, items)
		}
	}
	books("first sync", 1, 1, 1)

	// 1. Disconnect, keeping links.
	before := s.Grants()
	status, out := disconnect(t, s, "acme", map[string]any{})
	if status != http.StatusOK || out["revoked"] != true || out["links_kept"] != true {
		t.Fatalf("disconnect: %d %v", status, out)
	}
	if r := s.Grants().Revocations - before.Revocations; r != 1 {
		t.Errorf("revocations at Intuit = %d, want 1", r)
	}
	if conn := connectionOf(t, s, "acme"); conn["status"] != store.ConnDisconnected {
		t.Fatalf("after disconnect: %v", conn)
	}
	// Changes while disconnected stay queued.
	e.mustPost(http.StatusAccepted, "invoice.updated", invoice("inv_1", 2, "cus_1", "INV-1", "posted",
		line{id: "l1", product: "prod_basic", qty: "2", unit: 4900}))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Globex", "ap@globex.example"))
	e.drain()
	if st, _ := s.Store().Entity(t.Context(), "acme", billing.KindInvoice, "inv_1"); st.Status != store.StatusNotTried {
		t.Errorf("inv_1 v2 while disconnected: %s, want not_tried", e.status(billing.KindInvoice, "inv_1"))
	}

	// 2. Reconnect the same company: the queue drains, no duplicates.
	if _, err := s.ConnectCompany(t.Context(), "acme", e.realm, false); err != nil {
		t.Fatal(err)
	}
	e.drain()
	books("reconnect with links", 2, 1, 1)
	inv := e.objects("Invoice", "select * from Invoice where DocNumber = 'INV-1'")
	if len(inv) != 1 || str(inv[0]["TotalAmt"]) != "98.00" {
		t.Errorf("invoice after reconnect = %v, want the v2 total 98.00", inv)
	}

	// 3. Forget links: the first call only returns a confirmation.
	status, out = disconnect(t, s, "acme", map[string]any{"forget_links": true})
	confirmation, _ := out["confirmation"].(string)
	if status != http.StatusAccepted || confirmation == "" {
		t.Fatalf("first forget call: %d %v, want 202 with a confirmation", status, out)
	}
	if conn := connectionOf(t, s, "acme"); conn["status"] != store.ConnConnected {
		t.Fatalf("the first forget call changed the connection: %v", conn)
	}
	if _, err := s.Store().Link(t.Context(), "acme", billing.KindInvoice, "inv_1"); err != nil {
		t.Fatalf("the first forget call removed links: %v", err)
	}
	if status, out = disconnect(t, s, "acme", map[string]any{"forget_links": true, "confirmation": confirmation + "x"}); status != http.StatusForbidden {
		t.Fatalf("altered confirmation: %d %v, want 403", status, out)
	}
	status, out = disconnect(t, s, "acme", map[string]any{"forget_links": true, "confirmation": confirmation})
	if status != http.StatusOK || out["links_forgotten"].(float64) < 4 {
		t.Fatalf("confirmed forget: %d %v, want links forgotten", status, out)
	}
	if _, err := s.Store().Link(t.Context(), "acme", billing.KindInvoice, "inv_1"); err == nil {
		t.Fatal("invoice link still stored after forgetting")
	}

	// 4. Reconnect: every entity is sent again and re-latches.
	if _, err := s.ConnectCompany(t.Context(), "acme", e.realm, false); err != nil {
		t.Fatal(err)
	}
	e.drain()
	books("reconnect after forgetting links", 2, 1, 1)
	for _, ref := range []billing.Ref{{Kind: billing.KindCustomer, ID: "cus_1"}, {Kind: billing.KindInvoice, ID: "inv_1"}, {Kind: billing.KindProduct, ID: "prod_basic"}} {
		if l, err := s.Store().Link(t.Context(), "acme", ref.Kind, ref.ID); err != nil || !l.Linked() {
			t.Errorf("%s not linked again: %+v %v", ref, l, err)
		}
	}
	// A later change updates the re-latched object.
	e.mustPost(http.StatusAccepted, "invoice.updated", invoice("inv_1", 3, "cus_1", "INV-1", "posted",
		line{id: "l1", product: "prod_basic", qty: "3", unit: 4900}))
	e.drain()
	books("update after re-latch", 2, 1, 1)
	inv = e.objects("Invoice", "select * from Invoice where DocNumber = 'INV-1'")
	if len(inv) != 1 || str(inv[0]["TotalAmt"]) != "147.00" {
		t.Errorf("invoice after re-latch update = %v, want total 147.00", inv)
	}
}
