package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// TestTenantTokensStayInTheirTenant: an attacker holding a valid admin
// token for acme tries every connection and operator route against beta,
// and forged variants of the token. Every attempt is refused and beta is
// unchanged.
func TestTenantTokensStayInTheirTenant(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	newTenant(t, s, "acme")
	beta := newTenant(t, s, "beta")
	betaBefore, err := s.Store().Connection(context.Background(), "beta")
	if err != nil {
		t.Fatal(err)
	}
	betaSecrets, _ := s.Store().Tenant(context.Background(), "beta")
	gw := s.GatewayURL()
	tokenA := s.AdminToken("acme")

	// A confirmation acme's admin may legitimately obtain.
	_, first := callAPI(t, http.MethodPost, gw+"/qbo/disconnect", tokenA, map[string]any{"tenant": "acme", "forget_links": true})
	acmeConfirmation, _ := first["confirmation"].(string)
	if acmeConfirmation == "" {
		t.Fatalf("no confirmation for acme: %v", first)
	}

	forged := forgeToken(t, tokenA, "beta")
	otherKey, _ := auth.NewLocal([]byte("a key the stack does not know!!!")).Issue(auth.Claims{Tenant: "beta", Role: auth.RoleAdmin, Expires: time.Now().Add(time.Hour)})
	opPath := gw + "/api/v1/operator/tenants"
	secretID := betaSecrets.Secrets[0].ID
	tests := []struct {
		name, method, url, token string
		body                     map[string]any
		want                     int
	}{
		{"connect beta's QuickBooks", "POST", gw + "/qbo/connect", tokenA, map[string]any{"tenant": "beta"}, 403},
		{"connect beta with reset", "POST", gw + "/qbo/connect", tokenA, map[string]any{"tenant": "beta", "reset": true}, 403},
		{"read beta's connection", "GET", gw + "/qbo/connection?tenant=beta", tokenA, nil, 403},
		{"disconnect beta", "POST", gw + "/qbo/disconnect", tokenA, map[string]any{"tenant": "beta"}, 403},
		{"ask to forget beta's links", "POST", gw + "/qbo/disconnect", tokenA, map[string]any{"tenant": "beta", "forget_links": true}, 403},
		{"forget beta's links with acme's confirmation", "POST", gw + "/qbo/disconnect", tokenA,
			map[string]any{"tenant": "beta", "forget_links": true, "confirmation": acmeConfirmation}, 403},
		{"list tenants (operator)", "GET", opPath, tokenA, nil, 403},
		{"create a tenant (operator)", "POST", opPath, tokenA, map[string]any{"id": "evil", "name": "Evil"}, 403},
		{"read beta (operator)", "GET", opPath + "/beta", tokenA, nil, 403},
		{"add a webhook secret to beta", "POST", opPath + "/beta/webhook-secrets", tokenA, nil, 403},
		{"retire beta's webhook secret", "DELETE", opPath + "/beta/webhook-secrets/" + secretID, tokenA, nil, 403},
		{"acme token with tenant edited to beta", "GET", gw + "/qbo/connection?tenant=beta", forged, nil, 401},
		{"token signed with another key", "GET", gw + "/qbo/connection?tenant=beta", otherKey, nil, 401},
		{"no token", "GET", gw + "/qbo/connection?tenant=beta", "", nil, 401},
		{"tenant id with a key separator", "GET", gw + "/qbo/connection?tenant=acme%23beta", tokenA, nil, 400},
		{"tenant id in another case", "GET", gw + "/qbo/connection?tenant=BETA", tokenA, nil, 400},
		{"operator route, forged operator role", "GET", opPath, forgeRole(t, tokenA), nil, 401},
	}
	for _, tc := range tests {
		var body any
		if tc.body != nil {
			body = tc.body
		}
		status, out := callAPI(t, tc.method, tc.url, tc.token, body)
		if status != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
		}
		if u, _ := out["authorize_url"].(string); u != "" {
			t.Errorf("%s: answered a consent URL", tc.name)
		}
		if c, _ := out["confirmation"].(string); c != "" {
			t.Errorf("%s: answered a confirmation", tc.name)
		}
		if strings.Contains(strings.ToLower(str(out["message"])), "beta") && status >= 400 {
			t.Errorf("%s: the refusal talks about beta: %v", tc.name, out)
		}
	}

	// Webhooks: acme's secret does not sign for beta.
	status, _, err := s.PostEvent(context.Background(), "beta", []byte("whsec_acme"),
		[]byte(`{"id":"evt_x","type":"customer.created","occurred_at":"2026-11-21T10:00:00Z","data":{"id":"cus_x","version":1,"display_name":"X","currency":"USD"}}`))
	if err != nil || status != http.StatusUnauthorized {
		t.Errorf("beta's webhook signed with acme's secret: %d %v, want 401", status, err)
	}

	after, err := s.Store().Connection(context.Background(), "beta")
	if err != nil || after.Status != store.ConnConnected || after.RealmID != betaBefore.RealmID || after.Rev != betaBefore.Rev {
		t.Errorf("beta's connection changed: %+v (was rev %d)", after, betaBefore.Rev)
	}
	if got, _ := s.Store().Tenant(context.Background(), "beta"); len(got.Secrets) != 1 || got.Secrets[0].ID != secretID {
		t.Errorf("beta's webhook secrets changed: %+v", got.Secrets)
	}
	if _, err := s.Store().Tenant(context.Background(), "evil"); err == nil {
		t.Error("an admin token created a tenant")
	}
	if n := beta.count("select count(*) from Customer"); n != 0 {
		t.Errorf("beta's books changed: %d customers", n)
	}
}

// forgeToken rewrites the tenant claim of a token, keeping its signature.
func forgeToken(t *testing.T, token, tenant string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(body), `"tenant":"acme"`, `"tenant":"`+tenant+`"`, 1)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
}

// forgeRole rewrites the role claim of an admin token to operator.
func forgeRole(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(body), `"role":"admin"`, `"role":"operator"`, 1)
	forged = strings.Replace(forged, `"tenant":"acme",`, "", 1)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
}
