package devstack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/store"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func getJSON(t *testing.T, req *http.Request, into any) int {
	t.Helper()
	resp, body := do(t, req)
	if into != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("%s %s: %v in %s", req.Method, req.URL.Path, err, body)
		}
	}
	return resp.StatusCode
}

func TestConnectQBOStoresWorkingConnection(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	if err := s.CreateTenant(ctx, "acme", "whsec_test"); err != nil {
		t.Fatal(err)
	}
	s.ResetCounts()
	realm, err := s.ConnectQBO(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}

	c, err := s.Store().Connection(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if c.RealmID != realm || c.Status != store.ConnConnected || c.RefreshToken == "" {
		t.Errorf("stored connection realm %q status %q refresh token set %v, want realm %q connected with a refresh token",
			c.RealmID, c.Status, c.RefreshToken != "", realm)
	}
	if left := time.Until(c.AccessExpiresAt); left < 50*time.Minute || left > time.Hour {
		t.Errorf("access token expires in %v, want about an hour", left)
	}
	// The stored token is one the simulator issued for that company.
	req, _ := http.NewRequest("GET", s.QBOURL()+"/v3/company/"+realm+"/companyinfo/"+realm, nil)
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	req.Header.Set("Accept", "application/json")
	if status := getJSON(t, req, nil); status != 200 {
		t.Errorf("reading company info with the stored token answered %d, want 200", status)
	}
	counts := s.Counts()
	if n := counts.QBO["POST /oauth2/v1/tokens/bearer"]; n != 1 {
		t.Errorf("token requests = %d, want 1 (the code exchange); all QBO requests: %v", n, counts.QBO)
	}
	if counts.DynamoDB["PutItem"]+counts.DynamoDB["UpdateItem"]+counts.DynamoDB["TransactWriteItems"] == 0 {
		t.Errorf("no DynamoDB write counted for storing the connection: %v", counts.DynamoDB)
	}
}

func TestStackServesTemplateRoutesAndDevRoutes(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	url := s.GatewayURL()

	var st Status
	req, _ := http.NewRequest("GET", url+"/_dev/status", nil)
	if code := getJSON(t, req, &st); code != 200 {
		t.Fatalf("GET /_dev/status answered %d", code)
	}
	if len(st.Queues) != len(billing.Kinds) {
		t.Errorf("status lists %d queues, want one per kind (%d)", len(st.Queues), len(billing.Kinds))
	}
	for _, q := range st.Queues {
		if q.Visible+q.InFlight+q.Delayed+q.DeadLetters != 0 {
			t.Errorf("fresh queue %s not empty: %+v", q.Kind, q)
		}
	}

	var sched map[string]string
	req, _ = http.NewRequest("POST", url+"/_dev/scheduler", nil)
	if code := getJSON(t, req, &sched); code != 200 || sched["status"] != "ok" {
		t.Errorf("POST /_dev/scheduler answered %d %v, want 200 ok", code, sched)
	}

	tests := []struct {
		method, path, body string
		status             int
	}{
		// The webhook function itself refuses an unsigned event.
		{"POST", "/v1/webhooks/acme", `{"id":"evt_1"}`, 401},
		// The OAuth function refuses a connect without an admin token.
		{"POST", "/qbo/connect", `{"tenant":"acme"}`, 401},
		{"GET", "/nowhere", "", 404},
		{"GET", "/v1/webhooks/acme", "", 404},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, url+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		resp, body := do(t, req)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s answered %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
	}
	for _, path := range []string{"/admin", "/admin/tenants", "/api/v1/tenants"} {
		req, _ := http.NewRequest("GET", url+path, nil)
		resp, body := do(t, req)
		if resp.StatusCode == 404 && strings.Contains(string(body), `"Not Found"`) {
			t.Errorf("GET %s did not reach the admin function: %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestPostedCustomerSyncsThroughQueue(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	secret := []byte("whsec_test")
	if err := s.CreateTenant(ctx, "acme", string(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConnectQBO(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(s.opts.Root, "events", "billing", "01-customer-cus_1001.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.ResetCounts()
	status, answer, err := s.PostEvent(ctx, "acme", secret, body)
	if err != nil || status != 202 {
		t.Fatalf("post customer: %d %s %v, want 202", status, answer, err)
	}
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}

	e, err := s.Store().Entity(ctx, "acme", billing.Kind("customer"), "cus_1001")
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != store.StatusSynced {
		t.Errorf("customer status %q (warning %+v), want synced", e.Status, e.Warning)
	}
	counts := s.Counts()
	if counts.SQS["SendMessage"] == 0 || counts.EventSource["DeleteMessageBatch"] == 0 {
		t.Errorf("queue traffic not counted: functions %v, event source %v", counts.SQS, counts.EventSource)
	}
	if counts.QBO["POST customer"] != 1 {
		t.Errorf("QBO requests %v, want exactly one customer create", counts.QBO)
	}
	// Each request is counted under the function that sent it, and
	// DynamoDB's own capacity figures add up: the webhook stores the
	// snapshot, the sync writes the link and the status.
	web, sync := counts.Functions["WebhookFunction"], counts.Functions["SyncCustomerFunction"]
	if web.DynamoDB == 0 || web.SQS != 1 || web.QBO != 0 || web.WriteUnits < 1 {
		t.Errorf("webhook function counted %+v, want DynamoDB requests with write units, one SQS send, no QBO", web)
	}
	if sync.QBO != Total(counts.QBO) || sync.WriteUnits < 1 || sync.DynamoDB == 0 {
		t.Errorf("sync function counted %+v of QBO %v, want every QBO request and DynamoDB writes", sync, counts.QBO)
	}
	if got := web.WriteUnits + sync.WriteUnits + counts.Functions[""].WriteUnits; got != counts.WriteUnits {
		t.Errorf("write units per function add up to %v, total %v", got, counts.WriteUnits)
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range st.Queues {
		if q.Visible+q.InFlight+q.DeadLetters != 0 {
			t.Errorf("after Drain, queue %s holds %+v", q.Kind, q)
		}
	}
}

func TestForTestCleansUpSharedEmulators(t *testing.T) {
	var res localaws.Resources
	t.Run("stack", func(t *testing.T) {
		res = ForTestWith(t, Options{Emulators: emulators}).Resources()
	})
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	if _, err := s.depth(ctx, res.Queues[billing.Kind("invoice")]); err == nil {
		t.Errorf("queue %s of a closed stack still exists", res.Queues[billing.Kind("invoice")])
	}
}

func TestRunDemoSyncsSamplesAndPrintsGuide(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	d, err := s.RunDemo(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(s.opts.Root, "events", "billing", "*.json"))
	if len(d.Posted) != len(files) || d.RealmID == "" {
		t.Fatalf("posted %d of %d samples, realm %q", len(d.Posted), len(files), d.RealmID)
	}
	e, err := s.Store().Entity(ctx, d.Tenant, billing.Kind("invoice"), "inv_1001")
	if err != nil || e.Status != store.StatusSynced {
		t.Errorf("demo invoice inv_1001: status %q err %v, want synced", e.Status, err)
	}
	var guide strings.Builder
	if err := s.WriteGuide(ctx, &guide, &d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		s.WebhookURL(DemoTenant), s.QBOURL() + "/_sim/companies/" + d.RealmID + "/ledger",
		s.GatewayURL() + "/admin", s.GatewayURL() + "/_dev/scheduler", "invoice/inv_1001", "openssl dgst -sha256 -hmac '" + DemoSecret + "'",
	} {
		if !strings.Contains(guide.String(), want) {
			t.Errorf("guide lacks %q:\n%s", want, guide.String())
		}
	}
}

// TestGuidePrintsNoQuickBooksToken: what make dev prints opens no
// QuickBooks company: neither the access nor the refresh token appears.
func TestGuidePrintsNoQuickBooksToken(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	d, err := s.RunDemo(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var guide strings.Builder
	if err := s.WriteGuide(ctx, &guide, &d); err != nil {
		t.Fatal(err)
	}
	c, err := s.Store().Connection(ctx, d.Tenant)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(guide.String(), c.AccessToken) || strings.Contains(guide.String(), c.RefreshToken) {
		t.Errorf("the guide prints a live QuickBooks token:\n%s", guide.String())
	}
	if want := "/api/v1/tenants/" + d.Tenant + "/entities/invoice/inv_1001"; !strings.Contains(guide.String(), want) {
		t.Errorf("guide lacks the demo invoice's admin API URL %q:\n%s", want, guide.String())
	}
}
