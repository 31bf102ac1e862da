package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/devstack"
)

// TestOperatorProvisionsTenantsAndRotatesSecrets: an operator creates a
// tenant (its secret shown once), rotates the webhook secret with two
// active at once, and retires the old one; the webhook follows.
func TestOperatorProvisionsTenantsAndRotatesSecrets(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	op := s.OperatorToken()
	base := s.GatewayURL() + "/api/v1/operator/tenants"

	status, out := callAPI(t, http.MethodPost, base, op, map[string]any{"id": "gamma", "name": "Gamma GmbH"})
	first := str(field(out, "webhook_secret", "value"))
	firstID := str(field(out, "webhook_secret", "id"))
	if status != http.StatusCreated || !strings.HasPrefix(first, "whsec_") || firstID == "" {
		t.Fatalf("create tenant: %d %v", status, out)
	}
	post := func(secret string) int {
		t.Helper()
		st, _, err := s.PostEvent(context.Background(), "gamma", []byte(secret),
			[]byte(`{"id":"evt_`+secret[len(secret)-6:]+`","type":"customer.created","occurred_at":"2026-11-21T10:00:00Z","data":{"id":"cus_1","version":1,"display_name":"Gamma","email":"ap@gamma.example","currency":"EUR"}}`))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := post(first); st != http.StatusAccepted {
		t.Fatalf("webhook signed with the new secret: %d", st)
	}

	status, out = callAPI(t, http.MethodGet, base+"/gamma", op, nil)
	if status != http.StatusOK || strings.Contains(str(out["raw"])+strings.Join(values(out), " "), first) {
		t.Fatalf("read tenant: %d %v (must not show the secret)", status, out)
	}

	status, out = callAPI(t, http.MethodPost, base+"/gamma/webhook-secrets", op, nil)
	second := str(field(out, "webhook_secret", "value"))
	if status != http.StatusCreated || second == "" || second == first {
		t.Fatalf("rotate: %d %v", status, out)
	}
	if a, b := post(first), post(second); a != http.StatusAccepted && a != http.StatusOK || b != http.StatusAccepted && b != http.StatusOK {
		t.Errorf("during rotation: old secret %d, new secret %d; want both accepted", a, b)
	}
	if status, out = callAPI(t, http.MethodPost, base+"/gamma/webhook-secrets", op, nil); status != http.StatusConflict {
		t.Errorf("third secret: %d %v, want 409", status, out)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/gamma/webhook-secrets/"+firstID, nil)
	req.Header.Set("Authorization", "Bearer "+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("retire the old secret: %v %v", resp, err)
	}
	resp.Body.Close()
	if st := post(first); st != http.StatusUnauthorized {
		t.Errorf("retired secret still accepted: %d", st)
	}
	if st := post(second); st != http.StatusAccepted && st != http.StatusOK {
		t.Errorf("new secret refused after retiring the old one: %d", st)
	}

	status, out = callAPI(t, http.MethodGet, base, op, nil)
	if status != http.StatusOK || !strings.Contains(str(out["tenants"]), "gamma") {
		t.Errorf("list tenants: %d %v", status, out)
	}
	// The raw value is stored nowhere in the clear.
	if got, _ := s.Store().Tenant(context.Background(), "gamma"); len(got.WebhookSecrets) != 0 {
		t.Error("the tenant read back carries secret values")
	}
}

// TestOperatorInputLimits: the operator API answers clear 4xx errors to
// malformed input, and refuses anyone but operators.
func TestOperatorInputLimits(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	if err := s.CreateTenant(context.Background(), "acme", "whsec_acme"); err != nil {
		t.Fatal(err)
	}
	op := s.OperatorToken()
	base := s.GatewayURL() + "/api/v1/operator/tenants"
	tests := []struct {
		name, method, url, token, body, contentType string
		want                                        int
		code                                        string
	}{
		{"no token", "GET", base, "", "", "", 401, "unauthorized"},
		{"admin token", "GET", base, s.AdminToken("acme"), "", "", 403, "forbidden"},
		{"existing tenant", "POST", base, op, `{"id":"acme","name":"Acme"}`, "application/json", 409, "tenant_exists"},
		{"id with upper case", "POST", base, op, `{"id":"Acme2","name":"Acme"}`, "application/json", 400, "invalid_request"},
		{"id too long", "POST", base, op, `{"id":"` + strings.Repeat("a", 64) + `","name":"A"}`, "application/json", 400, "invalid_request"},
		{"name too long", "POST", base, op, `{"id":"long","name":"` + strings.Repeat("n", 201) + `"}`, "application/json", 400, "invalid_request"},
		{"name with a control character", "POST", base, op, `{"id":"ctl","name":"a\u0007b"}`, "application/json", 400, "invalid_request"},
		{"unknown field", "POST", base, op, `{"id":"x1","name":"X","admin":true}`, "application/json", 400, "invalid_request"},
		{"two JSON values", "POST", base, op, `{"id":"x2","name":"X"}{}`, "application/json", 400, "invalid_request"},
		{"not JSON", "POST", base, op, `id=x3`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"body too large", "POST", base, op, `{"id":"x4","name":"` + strings.Repeat("n", 5000) + `"}`, "application/json", 413, "body_too_large"},
		{"bad secret id", "DELETE", base + "/acme/webhook-secrets/nope", op, "", "", 400, "invalid_request"},
		{"unknown tenant", "GET", base + "/nobody", op, "", "", 404, "not_found"},
		{"unknown route", "GET", s.GatewayURL() + "/api/v1/operator/secrets", op, "", "", 404, "not_found"},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, body := doRequest(t, req)
		if resp.StatusCode != tc.want || !strings.Contains(string(body), `"error":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.want, tc.code)
		}
	}
}

func values(m map[string]any) []string {
	var out []string
	for _, v := range m {
		out = append(out, str(v))
	}
	return out
}

func doRequest(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
