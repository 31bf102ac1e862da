package e2e

import (
	"net/http"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// TestDeletedRecordsReLatchUnderDeletedName: QuickBooks renames a customer
// or item made inactive to "<name> (deleted)". After links were forgotten,
// the resync of a deleted customer and a deleted product must find those
// records under the new name, not create second ones.
func TestDeletedRecordsReLatchUnderDeletedName(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "product.created", product("prod_old", "Old plan"))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()
	gone := product("prod_old", "Old plan")
	gone["version"] = 2
	e.mustPost(http.StatusAccepted, "product.deleted", gone)
	e.mustPost(http.StatusAccepted, "customer.deleted", customer("cus_1", 2, "Acme Corp", "ap@acme.example"))
	e.drain()
	all := func(step string) {
		t.Helper()
		if n := e.count("select count(*) from Customer where Active IN (true, false)"); n != 1 {
			t.Errorf("%s: customers = %d, want 1", step, n)
		}
		if n := e.count("select count(*) from Item where Active IN (true, false) and Name LIKE 'Old plan%'"); n != 1 {
			t.Errorf("%s: items = %d, want 1", step, n)
		}
	}
	all("after the deletes")
	if c := e.objects("Customer", "select * from Customer where Active = false"); len(c) != 1 || str(c[0]["DisplayName"]) != "Acme Corp (deleted)" {
		t.Fatalf("inactive customers = %v, want Acme Corp (deleted)", c)
	}

	_, out := disconnect(t, s, "acme", map[string]any{"forget_links": true})
	confirmation, _ := out["confirmation"].(string)
	if status, out := disconnect(t, s, "acme", map[string]any{"forget_links": true, "confirmation": confirmation}); status != http.StatusOK {
		t.Fatalf("forget links: %d %v", status, out)
	}
	if _, err := s.ConnectCompany(t.Context(), "acme", e.realm, false); err != nil {
		t.Fatal(err)
	}
	e.drain()
	all("resync after forgetting links")
	for _, ref := range []billing.Ref{{Kind: billing.KindCustomer, ID: "cus_1"}, {Kind: billing.KindProduct, ID: "prod_old"}} {
		if l, err := s.Store().Link(t.Context(), "acme", ref.Kind, ref.ID); err != nil || !l.Linked() {
			t.Errorf("%s not linked again: %+v %v", ref, l, err)
		}
	}
}
