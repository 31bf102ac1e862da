package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
)

// lockedBuffer collects log output from concurrent functions.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsHoldNoSecrets runs provisioning, a connect, a sync, a token
// refresh and a disconnect with every function logging JSON at debug
// level, then looks for each secret that passed through in the logs.
func TestLogsHoldNoSecrets(t *testing.T) {
	logs := &lockedBuffer{}
	s := newStack(t, devstack.Options{Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := context.Background()
	secrets := map[string]string{}

	op := s.OperatorToken()
	status, out := callAPI(t, http.MethodPost, s.GatewayURL()+"/api/v1/operator/tenants", op, map[string]any{"id": "acme", "name": "Acme"})
	if status != http.StatusCreated {
		t.Fatalf("create tenant: %d %v", status, out)
	}
	secrets["webhook secret"] = str(field(out, "webhook_secret", "value"))
	secrets["operator token"] = op
	secrets["admin token"] = s.AdminToken("acme")

	code, state, realm := connectByHand(t, s, "acme")
	secrets["authorization code"], secrets["oauth state"] = code, state
	c, err := s.Store().Connection(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	secrets["access token"], secrets["refresh token"] = c.AccessToken, c.RefreshToken

	e := &tenantEnv{t: t, stack: s, tenant: "acme", secret: []byte(secrets["webhook secret"]), realm: realm}
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "INV-1", "posted", line{id: "l1", qty: "1", unit: 4900}))
	e.drain()
	if st := e.status("invoice", "inv_1"); st != "synced" {
		t.Fatalf("inv_1: %s", st)
	}
	// The hourly pass refreshes tokens that expire within the hour; a day
	// on, Intuit rotates the refresh token as it does so.
	advanceIntuitClock(t, s, 24*time.Hour)
	if err := s.RunScheduler(ctx); err != nil {
		t.Fatal(err)
	}
	c2, _ := s.Store().Connection(ctx, "acme")
	if c2.RefreshToken == c.RefreshToken {
		t.Fatal("the scheduler did not refresh the token")
	}
	secrets["refreshed access token"], secrets["rotated refresh token"] = c2.AccessToken, c2.RefreshToken
	if status, out = disconnect(t, s, "acme", map[string]any{}); status != http.StatusOK {
		t.Fatalf("disconnect: %d %v", status, out)
	}
	cfg := s.Deps().Config
	secrets["client secret"] = cfg.ClientSecret
	secrets["state signing key"] = cfg.StateKey
	secrets["local seal key"] = cfg.SealLocalKey
	secrets["local JWT key"] = cfg.AuthLocalKey

	text := logs.String()
	for _, want := range []string{`"msg":"qbo connected"`, `"msg":"entity synced"`, `"msg":"qbo token refreshed"`, `"msg":"qbo disconnected"`, `"msg":"tenant created"`} {
		if !strings.Contains(text, want) {
			t.Errorf("logs lack %s: the run did not go through that step", want)
		}
	}
	for name, v := range secrets {
		if len(v) < 8 {
			t.Fatalf("%s %q too short to search for", name, v)
		}
		// Also a distinctive middle part, in case a prefix or suffix was cut.
		for _, needle := range []string{v, v[len(v)/4 : len(v)/4+8]} {
			if strings.Contains(text, needle) {
				t.Errorf("the logs contain the %s", name)
			}
		}
	}
	t.Logf("searched %d bytes of logs for %d secrets", len(text), len(secrets))
}

// connectByHand runs the connect flow step by step, as a browser does, and
// returns the authorization code and state that passed through it.
func connectByHand(t *testing.T, s *devstack.Stack, tenant string) (code, state, realm string) {
	t.Helper()
	status, out := callAPI(t, http.MethodPost, s.GatewayURL()+"/qbo/connect", s.AdminToken(tenant), map[string]any{"tenant": tenant})
	authorize := str(out["authorize_url"])
	if status != http.StatusOK || authorize == "" {
		t.Fatalf("POST /qbo/connect: %d %v", status, out)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(callback.String(), s.GatewayURL()+"/qbo/callback") {
		t.Fatalf("consent redirected to %q (%v)", resp.Header.Get("Location"), err)
	}
	q := callback.Query()
	resp, body := doRequest(t, mustRequest(t, callback.String()))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Before the first sync") {
		t.Fatalf("callback: %d %s", resp.StatusCode, body)
	}
	return q.Get("code"), q.Get("state"), q.Get("realmId")
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
