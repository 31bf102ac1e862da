package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// callAPI sends a JSON request with a bearer token ("" for none) and
// returns the status and the decoded answer.
func callAPI(t testing.TB, method, u, token string, body any) (int, map[string]any) {
	t.Helper()
	status, raw := admintest.Request(t, method, u, token, body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return status, out
}

// connectionOf reads GET /qbo/connection as the tenant's admin.
func connectionOf(t testing.TB, s *devstack.Stack, tenant string) map[string]any {
	t.Helper()
	status, out := callAPI(t, http.MethodGet, s.GatewayURL()+"/qbo/connection?tenant="+tenant, s.AdminToken(tenant), nil)
	if status != http.StatusOK {
		t.Fatalf("GET /qbo/connection: %d %v", status, out)
	}
	return out
}

// functionConnector is the token keeper of one more function instance:
// its own store client, its own data-key cache.
func functionConnector(s *devstack.Stack) interface {
	Token(ctx context.Context, tenant string, force bool) (store.Connection, error)
} {
	d := s.Deps()
	d.Sealer = nil // a cold start builds its own
	return app.Connector(d)
}

// expireAccessToken makes the stored access token look an hour old.
func expireAccessToken(t testing.TB, s *devstack.Stack, tenant string) store.Connection {
	t.Helper()
	ctx := context.Background()
	c, err := s.Store().Connection(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	c.AccessExpiresAt = time.Now().Add(-time.Minute)
	if c, err = s.Store().SaveConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// advanceIntuitClock moves the simulated Intuit's clock forward: a day
// makes its next refresh rotate the refresh token.
func advanceIntuitClock(t testing.TB, s *devstack.Stack, d time.Duration) {
	t.Helper()
	body := strings.NewReader(`{"advance_seconds":` + strconv.FormatInt(int64(d/time.Second), 10) + `}`)
	resp, err := http.Post(s.QBOURL()+"/_sim/clock", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advance the simulator's clock: %d", resp.StatusCode)
	}
}

// TestConcurrentRefreshesRefreshOnce: many function instances find the
// access token expired at once, a day after the connection was made, when
// Intuit rotates the refresh token. Exactly one refreshes at Intuit; the
// others use what it saved; Intuit never answers invalid_grant.
func TestConcurrentRefreshesRefreshOnce(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	old := expireAccessToken(t, s, "acme")
	advanceIntuitClock(t, s, 24*time.Hour)
	before := s.Grants()

	const n = 24
	got := make([]store.Connection, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		conn := functionConnector(s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = conn.Token(context.Background(), "acme", false)
		}()
	}
	close(start)
	wg.Wait()

	after := s.Grants()
	if r := after.Refreshes - before.Refreshes; r != 1 {
		t.Errorf("refreshes at Intuit = %d, want exactly 1", r)
	}
	if ig := after.InvalidGrants - before.InvalidGrants; ig != 0 {
		t.Errorf("invalid_grant answers = %d, want 0", ig)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if got[i].AccessToken != got[0].AccessToken || got[i].AccessToken == old.AccessToken {
			t.Fatalf("caller %d got another or the expired access token", i)
		}
	}
	stored, err := s.Store().Connection(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if stored.RefreshToken == old.RefreshToken || stored.RefreshToken != got[0].RefreshToken {
		t.Error("the rotated refresh token was not the one persisted")
	}
	if stored.RefreshHardExpiresAt.Before(time.Now().Add(4 * 365 * 24 * time.Hour)) {
		t.Errorf("hard expiry %v not tracked (want about five years ahead)", stored.RefreshHardExpiresAt)
	}
	// The new access token works, and the race was real: Intuit retired
	// the old refresh token, so a second refresher with it would have
	// killed the connection.
	if n := e.count("select count(*) from Customer"); n != 0 {
		t.Errorf("customers = %d, want 0", n)
	}
	if code := refreshAtIntuit(t, s, old.RefreshToken); code != "invalid_grant" {
		t.Errorf("refreshing with the superseded token answered %q, want invalid_grant", code)
	}
}

// TestRefreshWithinADayKeepsRefreshToken: within a day of issuing a
// refresh token Intuit answers a refresh with the same value; the
// connection stores it, stays connected and the new access token works.
func TestRefreshWithinADayKeepsRefreshToken(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	old := expireAccessToken(t, s, "acme")
	before := s.Grants()
	c, err := functionConnector(s).Token(context.Background(), "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Grants().Refreshes - before.Refreshes; r != 1 {
		t.Errorf("refreshes at Intuit = %d, want 1", r)
	}
	if c.AccessToken == old.AccessToken || c.RefreshToken != old.RefreshToken {
		t.Errorf("after the refresh: new access token %v, same refresh token %v; want both", c.AccessToken != old.AccessToken, c.RefreshToken == old.RefreshToken)
	}
	if conn := connectionOf(t, s, "acme"); conn["status"] != store.ConnConnected {
		t.Errorf("connection after the refresh: %v", conn)
	}
	if n := e.count("select count(*) from Customer"); n != 0 {
		t.Errorf("customers = %d, want 0", n)
	}
}

// refreshAtIntuit sends a refresh grant and returns the error code ("" on success).
func refreshAtIntuit(t testing.TB, s *devstack.Stack, refreshToken string) string {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, _ := http.NewRequest(http.MethodPost, s.QBOURL()+"/oauth2/v1/tokens/bearer", strings.NewReader(form.Encode()))
	req.SetBasicAuth(devstack.SimClientID, devstack.SimClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Error
}

// revokeAtIntuit ends a grant as a QuickBooks user disconnecting the app does.
func revokeAtIntuit(t testing.TB, s *devstack.Stack, token string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"token": token})
	req, _ := http.NewRequest(http.MethodPost, s.QBOURL()+"/oauth2/v1/tokens/revoke", bytes.NewReader(body))
	req.SetBasicAuth(devstack.SimClientID, devstack.SimClientSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke at Intuit: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestInvalidGrantPausesUntilReconnect: Intuit refuses the saved grant.
// The connection needs reconnecting (a warning admins see), entities stay
// queued, and a reconnect to the same company sends them without
// duplicates.
func TestInvalidGrantPausesUntilReconnect(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()

	c, _ := s.Store().Connection(context.Background(), "acme")
	revokeAtIntuit(t, s, c.RefreshToken)
	before := s.Grants()
	e.mustPost(http.StatusAccepted, "customer.updated", customer("cus_1", 2, "Acme Corporation", "ap@acme.example"))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Globex", "ap@globex.example"))
	e.drain()

	conn := connectionOf(t, s, "acme")
	if conn["status"] != store.ConnNeedsReconnect || field(conn, "warning", "code") != "needs_reconnect" {
		t.Fatalf("connection = %v, want needs_reconnect with a warning", conn)
	}
	if ig := s.Grants().InvalidGrants - before.InvalidGrants; ig != 1 {
		t.Errorf("invalid_grant answers = %d, want 1 (one refresher, then no more calls)", ig)
	}
	for _, id := range []string{"cus_1", "cus_2"} {
		st, _ := s.Store().Entity(context.Background(), "acme", billing.KindCustomer, id)
		if st.Status != store.StatusNotTried || st.Warning == nil || !st.Warning.Retryable {
			t.Errorf("%s while the connection is broken: %s, want not_tried with a retryable warning", id, e.status(billing.KindCustomer, id))
		}
	}

	if _, err := s.ConnectCompany(context.Background(), "acme", e.realm, false); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if conn := connectionOf(t, s, "acme"); conn["status"] != store.ConnConnected || conn["warning"] != nil {
		t.Errorf("after reconnect: %v, want connected without warning", conn)
	}
	for _, id := range []string{"cus_1", "cus_2"} {
		if st := e.status(billing.KindCustomer, id); st != "synced" {
			t.Errorf("%s after reconnect: %s", id, st)
		}
	}
	if n := e.count("select count(*) from Customer"); n != 2 {
		t.Errorf("customers in QuickBooks = %d, want 2", n)
	}
	if names := e.objects("Customer", "select * from Customer where DisplayName = 'Acme Corporation'"); len(names) != 1 {
		t.Errorf("the update made while disconnected did not land: %v", names)
	}
}

// TestReconnectToAnotherCompanyNeedsReset: choosing another company on
// Intuit's consent screen changes nothing unless the admin asked for a
// reset; with one, everything goes to the new company.
func TestReconnectToAnotherCompanyNeedsReset(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "acme")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()

	_, err := s.ConnectCompany(context.Background(), "acme", "", false)
	var ce *devstack.ConnectError
	if !errors.As(err, &ce) || ce.Status != http.StatusConflict || !strings.Contains(ce.Body, e.realm) {
		t.Fatalf("connecting another company without reset: %v, want 409 naming %s", err, e.realm)
	}
	if conn := connectionOf(t, s, "acme"); conn["realm_id"] != e.realm || conn["status"] != store.ConnConnected {
		t.Fatalf("after the refused connect: %v, want still %s connected", conn, e.realm)
	}

	realm, err := s.ConnectCompany(context.Background(), "acme", "", true)
	if err != nil {
		t.Fatal(err)
	}
	if realm == e.realm {
		t.Fatal("the reset connected the same company")
	}
	e.drain()
	e.realm = realm
	if n := e.count("select count(*) from Customer"); n != 1 {
		t.Errorf("customers in the new company = %d, want 1", n)
	}
	if st := e.status(billing.KindCustomer, "cus_1"); st != "synced" {
		t.Errorf("cus_1 after reset: %s", st)
	}
}
