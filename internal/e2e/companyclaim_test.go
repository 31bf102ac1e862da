package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
	t.Parallel() // its own stack: table, queues, company
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
	t.Parallel() // its own stack: table, queues, company
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
	t.Parallel() // its own stack: table, queues, company
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

// TestOperatorAllowsSharingACompany: only an operator's explicit decision
// lets a second tenant connect a company another tenant syncs to.
func TestOperatorAllowsSharingACompany(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
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
	t.Parallel() // its own stack: table, queues, company
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
