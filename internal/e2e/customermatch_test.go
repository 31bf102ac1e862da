package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// linkOf reads the QBO id an entity of tenant is linked to.
func linkOf(t testing.TB, s *devstack.Stack, tenant string, kind billing.Kind, id string) string {
	t.Helper()
	l, err := s.Store().Link(context.Background(), tenant, kind, id)
	if err != nil {
		t.Fatalf("link of %s %s/%s: %v", tenant, kind, id, err)
	}
	return l.QBOID
}

// TestSharedCompanyNeverCrossesTenants: two tenants an operator allowed to
// share one company use the same billing ids, names and invoice number.
// Lost create responses make the sync look objects up by marker; neither
// tenant latches onto, or rewrites, the other's customer or invoice.
func TestSharedCompanyNeverCrossesTenants(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := fastStack(t)
	acme := newTenant(t, s, "acme")
	ctx := context.Background()
	if err := s.CreateTenant(ctx, "globex", "whsec_globex"); err != nil {
		t.Fatal(err)
	}
	share := s.GatewayURL() + "/api/v1/operator/tenants/globex/shared-companies/" + acme.realm
	if status, out := callAPI(t, http.MethodPut, share, s.OperatorToken(), nil); status != http.StatusOK {
		t.Fatalf("the operator allowing globex to share acme's company: %d %v", status, out)
	}
	if _, err := s.ConnectCompany(ctx, "globex", acme.realm, false); err != nil {
		t.Fatalf("globex connecting the shared company: %v", err)
	}
	globex := &tenantEnv{t: t, stack: s, tenant: "globex", secret: []byte("whsec_globex"), realm: acme.realm}

	acme.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Shared Buyer", "buyer@example.com"))
	acme.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_2", 1, "cus_1", "S-2", "posted", line{id: "l1", qty: "1", unit: 500}))
	acme.drain()

	acme.fault(map[string]any{"entity": "Customer", "operation": "create", "drop_response": true})
	acme.fault(map[string]any{"entity": "Invoice", "operation": "create", "drop_response": true})
	globex.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Shared Buyer", "buyer@example.com"))
	globex.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_2", 1, "cus_1", "S-2", "posted", line{id: "l1", qty: "1", unit: 700}))
	globex.drain()
	globex.mustPost(http.StatusAccepted, "invoice.updated", invoice("inv_2", 2, "cus_1", "S-2", "posted", line{id: "l1", qty: "1", unit: 900}))
	globex.drain()

	for _, k := range []billing.Kind{billing.KindCustomer, billing.KindInvoice} {
		id := map[billing.Kind]string{billing.KindCustomer: "cus_1", billing.KindInvoice: "inv_2"}[k]
		if st := acme.status(k, id); st != "synced" {
			t.Errorf("acme %s/%s: %s, want synced", k, id, st)
		}
		if a, g := linkOf(t, s, "acme", k, id), linkOf(t, s, "globex", k, id); a == "" || a == g {
			t.Errorf("%s %s: acme linked to %q, globex to %q: globex latched acme's object", k, id, a, g)
		}
	}
	// acme's customer has the name: globex's is created under its own,
	// with a notice.
	if st := globex.status(billing.KindCustomer, "cus_1"); !strings.HasPrefix(st, "synced") {
		t.Errorf("globex cus_1: %s, want synced", st)
	}
	// The company already has number S-2 (acme's): QuickBooks refuses a
	// second one, and globex sees why.
	if st := globex.status(billing.KindInvoice, "inv_2"); st != "synced" && !strings.Contains(st, "6140") {
		t.Errorf("globex inv_2: %s, want synced to its own invoice or QuickBooks' duplicate-number warning", st)
	}
	inv := acme.objects("Invoice", "select * from Invoice where Id = '"+linkOf(t, s, "acme", billing.KindInvoice, "inv_2")+"'")
	if len(inv) != 1 || str(inv[0]["TotalAmt"]) != "5.00" {
		t.Errorf("acme's invoice in QuickBooks: %v, want its own 5.00", inv)
	}
}

// TestSameNameAndEmailCustomersStayApart: two billing customers with the
// same name and e-mail get two QBO customers; deleting one leaves the
// other's QBO customer active.
func TestSameNameAndEmailCustomersStayApart(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "twins")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Twin Traders", "ap@twins.example"))
	e.drain()
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Twin Traders", "ap@twins.example"))
	e.drain()
	one, two := linkOf(t, e.stack, "twins", billing.KindCustomer, "cus_1"), linkOf(t, e.stack, "twins", billing.KindCustomer, "cus_2")
	if one == "" || one == two {
		t.Fatalf("cus_1 → %q, cus_2 → %q: two billing customers merged into one QBO customer", one, two)
	}
	e.mustPost(http.StatusAccepted, "customer.deleted", customer("cus_1", 2, "Twin Traders", "ap@twins.example"))
	e.drain()
	got := e.objects("Customer", "select * from Customer where Id = '"+two+"'")
	if len(got) != 1 || got[0]["Active"] != true {
		t.Errorf("cus_2's QBO customer after cus_1 was deleted: %v, want active", got)
	}
}

// TestLatchRefusesQBOCustomerOfAnotherBillingCustomer: Connect customer
// cannot latch a billing customer onto the QBO customer another billing
// customer already mirrors.
func TestLatchRefusesQBOCustomerOfAnotherBillingCustomer(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "First Ltd", "ap@first.example"))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Second Ltd", "ap@second.example"))
	e.drain()
	first := linkOf(t, s, "acme", billing.KindCustomer, "cus_1")
	status, out := callAPI(t, http.MethodPost, s.GatewayURL()+"/api/v1/tenants/acme/customers/cus_2/connect", s.AdminToken("acme"),
		map[string]any{"mode": "latch", "qbo_customer_id": first})
	if status != http.StatusConflict || !strings.Contains(str(out["message"]), "cus_1") {
		t.Fatalf("latching cus_2 onto cus_1's QuickBooks customer: %d %v, want 409 naming cus_1", status, out)
	}
	if got := linkOf(t, s, "acme", billing.KindCustomer, "cus_2"); got == first {
		t.Error("cus_2 was linked to cus_1's QuickBooks customer")
	}
}

// TestParentCycleIsWarned: customers that are each other's parent get a
// warning naming the cycle instead of waiting forever; breaking the cycle
// in billing syncs both.
func TestParentCycleIsWarned(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "acme")
	withParent := func(id string, version int, parent string) map[string]any {
		c := customer(id, version, "Customer "+id, id+"@acme.example")
		if parent != "" {
			c["parent_id"] = parent
		}
		return c
	}
	e.mustPost(http.StatusAccepted, "customer.created", withParent("cus_a", 1, "cus_b"))
	e.drain()
	e.mustPost(http.StatusAccepted, "customer.created", withParent("cus_b", 1, "cus_a"))
	e.drain()
	for _, id := range []string{"cus_a", "cus_b"} {
		if st := e.status(billing.KindCustomer, id); !strings.HasPrefix(st, "warning") || !strings.Contains(st, "cus_a → cus_b → cus_a") && !strings.Contains(st, "cus_b → cus_a → cus_b") {
			t.Errorf("%s in a parent cycle: %s, want a warning naming the cycle", id, st)
		}
	}
	e.mustPost(http.StatusAccepted, "customer.updated", withParent("cus_b", 2, ""))
	e.drain()
	for _, id := range []string{"cus_a", "cus_b"} {
		if st := e.status(billing.KindCustomer, id); st != "synced" {
			t.Errorf("%s after the cycle was broken: %s, want synced", id, st)
		}
	}
}

// TestRenamedCustomerKeepsItsNameOnUpdate: a customer QuickBooks knows
// as "Name (billing id)" is updated under that name, keeps its notice,
// and does not fall into a duplicate-name warning.
func TestRenamedCustomerKeepsItsNameOnUpdate(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Same Name", "one@example.com"))
	e.drain()
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Same Name", "two@example.com"))
	e.drain()
	e.mustPost(http.StatusAccepted, "customer.updated", customer("cus_2", 2, "Same Name", "two-new@example.com"))
	e.drain()
	status, w := entityNotice(t, s, "acme", billing.KindCustomer, "cus_2")
	if status != "synced" || w["notice"] != true {
		t.Errorf("cus_2 after its update: %s %v, want synced with its notice", status, w)
	}
	got := e.objects("Customer", "select * from Customer where DisplayName = 'Same Name (billing cus_2)'")
	if len(got) != 1 || field(got[0], "PrimaryEmailAddr", "Address") != "two-new@example.com" {
		t.Errorf("cus_2 in QuickBooks: %v, want the update under its QuickBooks name", got)
	}
	if k, _ := noticeCounts(t, s, "acme", billing.KindCustomer); k != 1 {
		t.Errorf("customer notices = %v, want 1", k)
	}
}
