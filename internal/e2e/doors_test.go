package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// withQuery returns u with its query parameter name set to value.
func withQuery(t testing.TB, u, name, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(name, value)
	p.RawQuery = q.Encode()
	return p.String()
}

func queryOf(t testing.TB, u, name string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get(name)
}

func storedConnection(t testing.TB, s *devstack.Stack, tenant string) store.Connection {
	t.Helper()
	c, err := s.Store().Connection(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCallbackRefusesGrantIssuedForAnotherCompany: a code Intuit issued
// for company B, presented with company A's realmId, is refused; the
// tenant's connection to A is untouched and keeps syncing.
func TestCallbackRefusesGrantIssuedForAnotherCompany(t *testing.T) {
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()
	before := storedConnection(t, s, "acme")

	ctx := context.Background()
	cb, err := s.ConsentCallback(ctx, "acme", "", false) // a new company B
	if err != nil {
		t.Fatal(err)
	}
	if queryOf(t, cb, "realmId") == e.realm {
		t.Fatal("the consent chose the connected company")
	}
	status, page, err := s.Visit(ctx, withQuery(t, cb, "realmId", e.realm))
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusConflict || !strings.Contains(page, e.realm) || !strings.Contains(page, "Nothing was changed") {
		t.Fatalf("callback with a foreign grant: %d %s, want 409 naming company %s and that nothing changed", status, page, e.realm)
	}
	after := storedConnection(t, s, "acme")
	if after.AccessToken != before.AccessToken || after.RefreshToken != before.RefreshToken || after.Rev != before.Rev {
		t.Fatal("the refused callback replaced the stored grant")
	}
	e.mustPost(http.StatusAccepted, "customer.updated", customer("cus_1", 2, "Acme Corporation", "ap@acme.example"))
	e.drain()
	if st := e.status(billing.KindCustomer, "cus_1"); st != "synced" {
		t.Errorf("cus_1 after the refused callback: %s, want synced", st)
	}
}

// TestCallbackStateWorksOnce: a state that completed a connect cannot
// complete another, even with a fresh code.
func TestCallbackStateWorksOnce(t *testing.T) {
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	ctx := context.Background()

	first, err := s.ConsentCallback(ctx, "acme", e.realm, false)
	if err != nil {
		t.Fatal(err)
	}
	if status, page, err := s.Visit(ctx, first); err != nil || status != http.StatusOK {
		t.Fatalf("first use of the state: %d %s %v", status, page, err)
	}
	before := storedConnection(t, s, "acme")
	second, err := s.ConsentCallback(ctx, "acme", e.realm, false)
	if err != nil {
		t.Fatal(err)
	}
	replay := withQuery(t, second, "state", queryOf(t, first, "state"))
	status, page, err := s.Visit(ctx, replay)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusBadRequest || !strings.Contains(page, "already used") {
		t.Fatalf("second use of the state: %d %s, want 400 saying it was already used", status, page)
	}
	if after := storedConnection(t, s, "acme"); after.AccessToken != before.AccessToken || after.Rev != before.Rev {
		t.Fatal("the replayed state replaced the stored grant")
	}
}

// TestCompanyBelongsToOneTenant: a second tenant choosing a company that
// another tenant syncs to is refused with 409 and stays unconnected.
func TestCompanyBelongsToOneTenant(t *testing.T) {
	s := newStack(t, devstack.Options{})
	acme := newTenant(t, s, "acme")
	ctx := context.Background()
	if err := s.CreateTenant(ctx, "globex", "whsec_globex"); err != nil {
		t.Fatal(err)
	}
	_, err := s.ConnectCompany(ctx, "globex", acme.realm, false)
	var ce *devstack.ConnectError
	if !errors.As(err, &ce) || ce.Status != http.StatusConflict || !strings.Contains(ce.Body, "another tenant") {
		t.Fatalf("globex connecting acme's company: %v, want 409 saying another tenant syncs to it", err)
	}
	if _, err := s.Store().Connection(ctx, "globex"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("globex's connection after the refusal: %v, want none", err)
	}
	if c := storedConnection(t, s, "acme"); c.RealmID != acme.realm || c.Status != store.ConnConnected {
		t.Errorf("acme after globex's attempt: %s %s", c.RealmID, c.Status)
	}
}

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

// TestInvalidUTF8BodyIsRefusedAsSuch: a correctly signed body that is not
// UTF-8 gets 400 saying so, not a signature failure.
func TestInvalidUTF8BodyIsRefusedAsSuch(t *testing.T) {
	s := newStack(t, devstack.Options{})
	if err := s.CreateTenant(context.Background(), "acme", "whsec_acme"); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"evt_1","type":"customer.created","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"cus_1","version":1,"display_name":"Caf` +
		"\xe9" + `","currency":"USD"}}`)
	status, answer, err := s.PostEvent(context.Background(), "acme", []byte("whsec_acme"), body)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusBadRequest || !strings.Contains(string(answer), "UTF-8") {
		t.Fatalf("signed body with invalid UTF-8: %d %s, want 400 naming UTF-8", status, answer)
	}
}

// TestWebhookAnswers503WhenAStoreHangs: DynamoDB or SQS that stops
// answering gets the documented 503 before the function's own 10 s
// timeout, not the platform's 500; once they answer, the retry lands.
func TestWebhookAnswers503WhenAStoreHangs(t *testing.T) {
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	for name, hang := range map[string]func(bool){"DynamoDB": s.HangDynamoDB, "SQS": s.HangSQS} {
		hang(true)
		start := time.Now()
		status, out := e.post("evt_hang_"+name, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
		took := time.Since(start)
		hang(false)
		t.Logf("%s hanging: %d after %s", name, status, took.Round(time.Millisecond))
		if status != http.StatusServiceUnavailable || out["error"] != "unavailable" {
			t.Errorf("%s hanging: %d %v after %s, want 503 unavailable", name, status, out, took)
		}
		if took >= 10*time.Second {
			t.Errorf("%s hanging: answered after %s, want within the function's 10 s", name, took)
		}
	}
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()
	if st := e.status(billing.KindCustomer, "cus_1"); st != "synced" {
		t.Errorf("cus_1 after the stores answer again: %s", st)
	}
}

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

// TestParentCycleIsWarned: customers that are each other's parent get a
// warning naming the cycle instead of waiting forever; breaking the cycle
// in billing syncs both.
func TestParentCycleIsWarned(t *testing.T) {
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

// TestOperatorAllowsSharingACompany: only an operator's explicit decision
// lets a second tenant connect a company another tenant syncs to.
func TestOperatorAllowsSharingACompany(t *testing.T) {
	s := newStack(t, devstack.Options{})
	acme := newTenant(t, s, "acme")
	ctx := context.Background()
	if err := s.CreateTenant(ctx, "globex", "whsec_globex"); err != nil {
		t.Fatal(err)
	}
	share := s.GatewayURL() + "/api/v1/operator/tenants/globex/shared-companies/" + acme.realm
	if status, out := callAPI(t, http.MethodPut, share, s.AdminToken("globex"), nil); status != http.StatusForbidden {
		t.Errorf("an admin allowing sharing: %d %v, want 403", status, out)
	}
	if _, err := s.ConnectCompany(ctx, "globex", acme.realm, false); err == nil {
		t.Fatal("globex connected acme's company before an operator allowed it")
	}
	if status, out := callAPI(t, http.MethodPut, share, s.OperatorToken(), nil); status != http.StatusOK {
		t.Fatalf("the operator allowing sharing: %d %v", status, out)
	}
	if _, err := s.ConnectCompany(ctx, "globex", acme.realm, false); err != nil {
		t.Fatalf("globex connecting the company it may share: %v", err)
	}
	unknown := s.GatewayURL() + "/api/v1/operator/tenants/globex/shared-companies/1234567890"
	if status, out := callAPI(t, http.MethodPut, unknown, s.OperatorToken(), nil); status != http.StatusNotFound {
		t.Errorf("sharing a company no tenant connected: %d %v, want 404", status, out)
	}
}

// TestSchedulerClaimsCompaniesConnectedEarlier: a company connected before
// companies were claimed is claimed for its tenant by the hourly pass, so
// another tenant cannot take it afterwards.
func TestSchedulerClaimsCompaniesConnectedEarlier(t *testing.T) {
	s := newStack(t, devstack.Options{})
	acme := newTenant(t, s, "acme")
	ctx := context.Background()
	if err := s.Store().ReleaseRealm(ctx, acme.realm, "acme"); err != nil { // as stored before claims existed
		t.Fatal(err)
	}
	if err := s.RunScheduler(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, "globex", "whsec_globex"); err != nil {
		t.Fatal(err)
	}
	_, err := s.ConnectCompany(ctx, "globex", acme.realm, false)
	var ce *devstack.ConnectError
	if !errors.As(err, &ce) || ce.Status != http.StatusConflict {
		t.Fatalf("globex connecting acme's company after the hourly pass: %v, want 409", err)
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

// TestRenamedCustomerKeepsItsNameOnUpdate: a customer QuickBooks knows
// as "Name (billing id)" is updated under that name, keeps its notice,
// and does not fall into a duplicate-name warning.
func TestRenamedCustomerKeepsItsNameOnUpdate(t *testing.T) {
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
