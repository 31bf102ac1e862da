package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// A tenant posting beyond its live rate backfills: its further events
// wait in the backfill lane, another tenant's invoice posted meanwhile is
// in QuickBooks within seconds, and every backfilled invoice still
// arrives.
func TestBackfillLaneKeepsOtherTenantsLive(t *testing.T) {
	s := newStack(t, devstack.Options{Log: slog.New(slog.DiscardHandler), LiveEventsPerMinute: 5})
	a := &backfill{t: t, s: s, e: newTenant(t, s, "acme"), customers: 10, invoices: 90}
	b := newTenant(t, s, "globex")
	for _, e := range []*tenantEnv{a.e, b} {
		e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	}
	b.mustPost(http.StatusAccepted, "customer.created", customer("cus_b", 1, "Globex Buyer", "buyer@globex.example"))
	b.drain()

	if err := a.postBackfill(benchSenders); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inBackfill := 0
	for _, q := range st.Backfill {
		inBackfill += q.Visible + q.InFlight
	}
	if inBackfill == 0 {
		t.Errorf("after acme posted %d events in a burst, the backfill lanes hold nothing", a.customers+a.invoices)
	}

	posted := time.Now()
	b.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_b", 1, "cus_b", "G-1", "posted",
		line{id: "l1", product: "prod_1", qty: "1", unit: 4200, tax: 0}))
	for {
		link, err := s.Store().Link(context.Background(), b.tenant, billing.KindInvoice, "inv_b")
		if err == nil && link.Linked() {
			break
		}
		if time.Since(posted) > 5*time.Second {
			t.Fatalf("globex's invoice not in QuickBooks 5 s after its webhook (%s) while acme backfills", b.status(billing.KindInvoice, "inv_b"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(posted)
	n, err := syncedOf(s, a.e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if n >= a.customers+a.invoices {
		t.Errorf("acme's backfill was over before globex's invoice synced (%s): the test shows nothing", took)
	}
	t.Logf("globex's invoice synced in %s with %d of acme's %d entities synced", took.Round(time.Millisecond), n, a.customers+a.invoices)

	if got := a.waitSynced(a.customers+a.invoices+1, 2*time.Minute); got != a.customers+a.invoices {
		t.Fatalf("acme: %d of %d entities synced", got, a.customers+a.invoices)
	}
	a.e.drain()
	if got := a.e.count("select count(*) from Invoice"); got != a.invoices {
		t.Errorf("acme's company has %d invoices, want %d", got, a.invoices)
	}
	if got := b.objects("Invoice", "select * from Invoice where DocNumber = 'G-1'"); len(got) != 1 || str(got[0]["TotalAmt"]) != "42.00" {
		t.Errorf("globex's invoice G-1 in QuickBooks: %v, want one of 42.00", got)
	}
}
