package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeExample returns the shell block of the README's "Test your
// integration locally" section.
func readmeExample(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- integration-example -->\n```sh\n")
	if !ok {
		t.Fatal("README.md has no integration example")
	}
	script, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatal("README.md: the integration example does not end")
	}
	return script
}

// TestIntegrationExample runs the README's example as written, with
// curl, jq and openssl, against a fresh stack described by its fixture
// file, and checks what it shows: the events accepted, the invoice synced
// and the invoice in the QuickBooks company with its number and total.
func TestIntegrationExample(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README example needs %s: %v", tool, err)
		}
	}
	s := ForTestWith(t, Options{Emulators: emulators})
	fixture := filepath.Join(t.TempDir(), "stack.json")
	if err := s.WriteFixture(fixture, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", readmeExample(t, s.opts.Root))
	cmd.Dir = s.opts.Root
	cmd.Env = append(os.Environ(), "STACK_JSON="+fixture)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Logf("README example output:\n%s", out)
	if err != nil {
		t.Fatalf("README example: %v\n%s", err, stderr.String())
	}
	text := string(out)
	if n := strings.Count(text, `"status":"accepted"`); n != 4 {
		t.Errorf("%d events accepted, want 4", n)
	}
	for _, want := range []string{"connected to QuickBooks company ", "inv_1001: synced",
		`{"doc_number":"INV-1001","total_amt":"89.37","balance":"89.37"}`} {
		if !strings.Contains(text, want) {
			t.Errorf("the example's output lacks %q", want)
		}
	}
}

func TestFixtureFile(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	path := filepath.Join(t.TempDir(), ".dev", "stack.json")
	d := &Demo{Tenant: "demo", Secret: "whsec_x", RealmID: "123"}
	if err := s.WriteFixture(path, d); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("stack.json mode %v, want 0600: it holds tokens", st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	sim, _ := f["simulator"].(map[string]any)
	checks := map[string]any{
		"gateway_url": s.GatewayURL(), "webhook_url": s.GatewayURL() + "/v1/webhooks/{tenant}",
		"admin_token_url": s.GatewayURL() + "/_dev/admin-token",
		"simulator.url":   s.QBOURL(), "simulator.client_id": SimClientID, "simulator.client_secret": SimClientSecret,
		"simulator.token_url": s.QBOURL() + "/oauth2/v1/tokens/bearer",
	}
	for k, want := range checks {
		var got any
		if name, ok := strings.CutPrefix(k, "simulator."); ok {
			got = sim[name]
		} else {
			got = f[k]
		}
		if got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if tok, _ := f["operator_token"].(string); tok == "" {
		t.Error("no operator_token")
	}
	if demo, _ := f["demo"].(map[string]any); demo["tenant"] != "demo" || demo["webhook_secret"] != "whsec_x" {
		t.Errorf("demo = %v", f["demo"])
	}
}

func TestAdminTokenRoute(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	if err := s.CreateTenant(ctx, "acme", "whsec_acme"); err != nil {
		t.Fatal(err)
	}
	mint := func(body string) (int, map[string]string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.GatewayURL()+"/_dev/admin-token", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, b := do(t, req)
		var out map[string]string
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	status, out := mint(`{"tenant":"acme"}`)
	if status != http.StatusOK || out["tenant"] != "acme" || out["token"] == "" {
		t.Fatalf("mint for acme: %d %v", status, out)
	}
	// The token opens acme's admin API, and only acme's.
	for path, want := range map[string]int{"/api/v1/tenants/acme/overview": 200, "/api/v1/tenants/other/overview": 403} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+out["token"])
		if resp, b := do(t, req); resp.StatusCode != want {
			t.Errorf("GET %s with the minted token: %d %s, want %d", path, resp.StatusCode, b, want)
		}
	}
	if status, out := mint(`{"tenant":"ghost"}`); status != http.StatusNotFound {
		t.Errorf("mint for a tenant never provisioned: %d %v, want 404", status, out)
	}
	if status, _ := mint(`{"tenant":"Not A Tenant"}`); status != http.StatusBadRequest {
		t.Errorf("mint for a malformed tenant: %d, want 400", status)
	}
	// Not from this machine: refused before anything is read (httptest's
	// requests come from 192.0.2.1, a documentation address; nothing is sent).
	rec := httptest.NewRecorder()
	s.devRoutes(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_dev/admin-token", strings.NewReader(`{"tenant":"acme"}`)))
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "token\":\"ey") {
		t.Errorf("mint from another machine: %d %s, want 403", rec.Code, rec.Body)
	}
}
