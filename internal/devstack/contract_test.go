package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/openapi"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/qbo"
)

// apiCaller drives the admin API through the gateway and checks every
// answer against api/admin.openapi.yaml.
type apiCaller struct {
	t       *testing.T
	s       *Stack
	doc     *openapi.Document
	covered map[string]map[int]bool // operationId → statuses seen
	calls   int
	header  http.Header // of the last answer
}

// call sends method path with body (nil for none; []byte as is, else
// JSON) as the holder of token, checks the answer against the document
// and that its status is want. It returns the body.
func (c *apiCaller) call(token, method, path string, body any, want int) []byte {
	c.t.Helper()
	return c.do(token, method, path, "application/json", body, func(got int) bool { return got == want })
}

// do is call with the body's content type and a predicate on the status.
func (c *apiCaller) do(token, method, path, contentType string, body any, fine func(int) bool) []byte {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.GatewayURL()+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	c.calls++
	c.header = resp.Header
	p, _, _ := strings.Cut(path, "?")
	if err := c.doc.Check(method, p, resp.StatusCode, resp.Header, out); err != nil {
		c.t.Errorf("against the document: %v", err)
	}
	if op, ok := c.doc.Find(method, p); ok {
		if c.covered[op.ID] == nil {
			c.covered[op.ID] = map[int]bool{}
		}
		c.covered[op.ID][resp.StatusCode] = true
	}
	if !fine(resp.StatusCode) {
		c.t.Errorf("%s %s: unexpected %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

// callExpecting is call for an answer that may be either of two
// statuses; it returns the status.
func (c *apiCaller) callExpecting(token, method, path string, want, alsoFine int) int {
	c.t.Helper()
	status := 0
	c.do(token, method, path, "", nil, func(got int) bool { status = got; return got == want || got == alsoFine })
	return status
}

// TestAdminAPIMatchesDocument drives every operation of
// api/admin.openapi.yaml on the local stack (DynamoDB Local, the SQS
// emulator, qbosim) through its successes and the failures a caller can
// cause, and validates each real answer (status, headers, body) against
// the document with openapi.Check.
func TestAdminAPIMatchesDocument(t *testing.T) {
	doc, err := openapi.Load(filepath.Join("..", "..", "api", "admin.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := ForTestWith(t, Options{Emulators: emulators})
	ctx := testContext(t)
	d, err := s.RunDemo(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// A payment in another currency than its customer's: a warning to
	// dismiss, undismiss and read.
	mixed, err := os.ReadFile(filepath.Join(s.opts.Root, "events", "billing", "05-payment-pay_1001.json"))
	if err != nil {
		t.Fatal(err)
	}
	mixed = bytes.Replace(mixed, []byte(`"pay_1001"`), []byte(`"pay_eur"`), 1)
	mixed = bytes.Replace(mixed, []byte(`"USD"`), []byte(`"EUR"`), 1)
	mixed = bytes.Replace(mixed, []byte(`"evt_demo_0005"`), []byte(`"evt_pay_eur"`), 1)
	if status, answer, err := s.PostEvent(ctx, d.Tenant, []byte(d.Secret), mixed); err != nil || status != http.StatusAccepted {
		t.Fatalf("post the EUR payment: %d %s %v", status, answer, err)
	}
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, "unconnected", "whsec_other"); err != nil {
		t.Fatal(err)
	}

	c := &apiCaller{t: t, s: s, doc: doc, covered: map[string]map[int]bool{}}
	admin, other := s.AdminToken(d.Tenant), s.AdminToken("unconnected")
	base := "/api/v1/tenants/" + d.Tenant

	c.call("", "GET", "/api/v1/session", nil, 401)
	if got := c.header.Get("WWW-Authenticate"); got != `Bearer realm="qbosync admin"` {
		t.Errorf("401 WWW-Authenticate = %q", got)
	}
	c.call("not-a-jwt", "GET", base+"/overview", nil, 401)
	c.call(admin, "GET", "/api/v1/session", nil, 200)
	c.call(s.OperatorToken(), "GET", "/api/v1/session", nil, 200)
	c.call(other, "GET", base+"/overview", nil, 403)
	c.call(admin, "POST", base+"/sync-now", bytes.Repeat([]byte(" "), 65<<10), 413)
	c.call(admin, "GET", base+"/overview", nil, 200)
	c.call(other, "GET", "/api/v1/tenants/unconnected/overview", nil, 200)
	c.call(s.AdminToken("nobody"), "GET", "/api/v1/tenants/nobody/overview", nil, 404)

	c.call(admin, "GET", base+"/entities", nil, 200)
	c.call(admin, "GET", base+"/entities?status=synced&kind=invoice&limit=1", nil, 200)
	c.call(admin, "GET", base+"/entities?status=synced", nil, 200)
	c.call(admin, "GET", base+"/entities?limit=0", nil, 400)
	c.call(admin, "GET", base+"/entities?cursor=bm90LWEtY3Vyc29y", nil, 400)
	c.call(admin, "GET", base+"/entities/invoice/inv_1001", nil, 200)
	c.call(admin, "GET", base+"/entities/customer/cus_1001", nil, 200)
	c.call(admin, "GET", base+"/entities/payment/pay_eur", nil, 200)
	c.call(admin, "GET", base+"/entities/invoice/inv_none", nil, 404)

	c.call(admin, "POST", base+"/entities/invoice/inv_1001/dismiss", map[string]string{"reason": "nothing to dismiss"}, 409)
	c.call(admin, "POST", base+"/entities/payment/pay_eur/dismiss", map[string]string{"reason": ""}, 400)
	c.call(admin, "POST", base+"/entities/payment/pay_eur/dismiss", map[string]string{"reason": "paid in euros on purpose"}, 200)
	c.call(admin, "GET", base+"/entities?status=dismissed", nil, 200)
	c.call(admin, "POST", base+"/entities/payment/pay_eur/undismiss", map[string]string{"reason": "look again"}, 200)
	c.call(admin, "POST", base+"/entities/payment/pay_eur/undismiss", nil, 409)
	c.call(admin, "POST", base+"/entities/payment/pay_none/dismiss", map[string]string{"reason": "x"}, 404)
	c.call(admin, "POST", base+"/entities/payment/pay_eur/dismiss", map[string]string{"reason": "x", "extra": "y"}, 400)
	c.call(admin, "POST", base+"/entities/invoice/inv_1002/resend", nil, 202)
	c.call(admin, "POST", base+"/entities/invoice/inv_none/resend", nil, 404)
	c.call(admin, "POST", base+"/resend", map[string]any{"status": "warning"}, 200)
	c.call(admin, "POST", base+"/resend", map[string]any{"status": "synced", "kind": "invoice", "limit": 1}, 200)
	c.call(admin, "POST", base+"/resend", map[string]any{"status": "lost"}, 400)
	c.call(admin, "POST", base+"/resend", map[string]any{"limit": 9999}, 200)
	c.call(admin, "POST", base+"/sync-now", nil, 200)
	c.call(admin, "POST", base+"/sync-now", map[string]any{"cursor": "not-a-cursor"}, 400)

	c.call(admin, "GET", base+"/qbo/customers?search=Acme", nil, 200)
	c.call(admin, "GET", base+"/qbo/customers?search=", nil, 400)
	c.call(other, "GET", "/api/v1/tenants/unconnected/qbo/customers?search=Acme", nil, 409)
	var det struct {
		QBO struct{ ID string } `json:"qbo"`
	}
	if err := json.Unmarshal(c.call(admin, "GET", base+"/entities/customer/cus_1001", nil, 200), &det); err != nil || det.QBO.ID == "" {
		t.Fatalf("cus_1001 has no QuickBooks id: %v", err)
	}
	c.call(admin, "POST", base+"/customers/cus_1001/connect", map[string]string{"mode": "latch", "qbo_customer_id": det.QBO.ID, "start_date": "2026-01-01"}, 202)
	c.call(admin, "POST", base+"/customers/cus_1001/connect", map[string]string{"mode": "create"}, 409)
	c.call(admin, "POST", base+"/customers/cus_1002/connect", map[string]string{"mode": "latch", "qbo_customer_id": "987654321"}, 422)
	c.call(admin, "POST", base+"/customers/cus_1002/connect", map[string]string{"mode": "sideways"}, 400)
	c.call(admin, "POST", base+"/customers/cus_none/connect", map[string]string{"mode": "create"}, 404)

	c.call(admin, "GET", base+"/settings", nil, 200)
	c.call(other, "GET", "/api/v1/tenants/unconnected/settings", nil, 200)
	c.call(admin, "PATCH", base+"/settings", map[string]string{"tax_mode": "none", "sync_from": "2026-01-01"}, 200)
	c.call(admin, "PATCH", base+"/settings", map[string]string{"tax_mode": "sometimes"}, 422)
	c.call(admin, "PATCH", base+"/settings", map[string]string{"colour": "blue"}, 400)
	c.call(other, "PATCH", "/api/v1/tenants/unconnected/settings", map[string]string{"revenue_account_id": "1"}, 409)
	// A poison message in the customer dead-letter queue: listed for its
	// tenant, redriven, and seen by operators.
	poison := fmt.Sprintf(`{"tenant":%q,"kind":"customer","id":"cus_1001","customer_id":"cus_1001","version":1,"reason":"webhook"}`, d.Tenant)
	if err := s.PutDeadLetter(ctx, "customer", d.Tenant+"#cus_1001", poison); err != nil {
		t.Fatal(err)
	}
	c.call(other, "GET", base+"/dead-letters", nil, 403)
	c.call(admin, "GET", base+"/dead-letters", nil, 200)
	c.call(s.OperatorToken(), "GET", "/api/v1/operator/dead-letters", nil, 200)
	c.call(admin, "GET", "/api/v1/operator/dead-letters", nil, 403)
	c.call(other, "POST", base+"/dead-letters/redrive", nil, 403)
	c.call(admin, "POST", base+"/dead-letters/redrive", nil, 200)
	c.call(admin, "GET", base+"/audit", nil, 200)

	// Customer import: unlinked QuickBooks customers, listed a page at a time.
	c.call(admin, "GET", base+"/quickbooks-customers", nil, 200)
	c.call(admin, "POST", base+"/quickbooks-customers/import", nil, 200)
	c.call(other, "POST", "/api/v1/tenants/unconnected/quickbooks-customers/import", nil, 409)
	c.call(admin, "GET", base+"/quickbooks-customers?limit=1", nil, 200)
	c.call(admin, "GET", base+"/quickbooks-customers?limit=0", nil, 400)
	c.call(admin, "GET", base+"/quickbooks-customers?cursor=bm90LWEtY3Vyc29y", nil, 400)

	// Events to billing: the endpoint, a rotation of its secret, the
	// delivery log and a redeliver.
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	ob := base + "/outbound"
	c.call(admin, "GET", ob+"/endpoint", nil, 404)
	c.call(admin, "POST", ob+"/endpoint/secrets", nil, 404)
	c.call(admin, "PUT", ob+"/endpoint", map[string]string{"url": "http://billing.example/events"}, 400)
	c.call(admin, "PUT", ob+"/endpoint", map[string]string{"url": receiver.URL + "/first"}, 200)
	c.call(admin, "PUT", ob+"/endpoint", map[string]string{"url": receiver.URL + "/events"}, 200)
	c.call(admin, "GET", ob+"/endpoint", nil, 200)
	var rotated struct{ ID string }
	if err := json.Unmarshal(c.call(admin, "POST", ob+"/endpoint/secrets", nil, 201), &rotated); err != nil || rotated.ID == "" {
		t.Fatalf("no new outbound secret: %v", err)
	}
	c.call(admin, "POST", ob+"/endpoint/secrets", nil, 409)
	c.call(admin, "DELETE", ob+"/endpoint/secrets/obs_nope", nil, 404)
	c.call(admin, "DELETE", ob+"/endpoint/secrets/"+rotated.ID, nil, 200)
	c.call(admin, "DELETE", ob+"/endpoint/secrets/"+rotated.ID, nil, 404)
	var ep struct{ Secrets []struct{ ID string } }
	if err := json.Unmarshal(c.call(admin, "GET", ob+"/endpoint", nil, 200), &ep); err != nil || len(ep.Secrets) != 1 {
		t.Fatalf("endpoint after the rotation: %+v %v", ep, err)
	}
	c.call(admin, "DELETE", ob+"/endpoint/secrets/"+ep.Secrets[0].ID, nil, 409)
	if err := s.Outbound().Record(ctx, outbound.Event{ID: "evt_contract_1", Tenant: d.Tenant, Type: "quickbooks.invoice.paid",
		OccurredAt: time.Now(), Data: json.RawMessage(`{"invoice_id":"inv_1001","qbo_invoice_id":"1","realm_id":"1","balance":"0.00"}`)}); err != nil {
		t.Fatal(err)
	}
	c.call(admin, "GET", ob+"/deliveries", nil, 200)
	c.call(admin, "GET", ob+"/deliveries?status=pending&limit=1", nil, 200)
	c.call(admin, "GET", ob+"/deliveries?status=lost", nil, 400)
	c.call(admin, "GET", ob+"/deliveries?cursor=bm90LWEtY3Vyc29y", nil, 400)
	c.call(other, "GET", ob+"/deliveries", nil, 403)
	c.call(admin, "POST", ob+"/deliveries/evt_contract_1/redeliver", nil, 202)
	c.call(admin, "POST", ob+"/deliveries/evt_none/redeliver", nil, 404)

	// Reconciliation, and the two answers to drift.
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	c.call(admin, "GET", base+"/reconciliation", nil, 404)
	c.call(other, "POST", "/api/v1/tenants/unconnected/reconciliation", nil, 409)
	c.call(admin, "POST", base+"/reconciliation", nil, 202)
	c.call(admin, "GET", base+"/reconciliation", nil, 200)
	c.call(admin, "POST", base+"/entities/invoice/inv_1001/push", nil, 409)
	c.call(admin, "POST", base+"/entities/invoice/inv_1001/accept", map[string]string{"reason": "not drifted"}, 409)
	for _, id := range []string{"inv_1001", "inv_1002"} {
		var inv struct {
			QBO struct{ ID string } `json:"qbo"`
		}
		if err := json.Unmarshal(c.call(admin, "GET", base+"/entities/invoice/"+id, nil, 200), &inv); err != nil || inv.QBO.ID == "" {
			t.Fatalf("%s has no QuickBooks id: %v", id, err)
		}
		redate(t, s, d.Tenant, d.RealmID, inv.QBO.ID)
	}
	c.call(admin, "POST", base+"/reconciliation", nil, 202)
	c.call(admin, "GET", base+"/entities?status=drifted", nil, 200)
	c.call(admin, "POST", base+"/entities/invoice/inv_1002/accept", map[string]string{"reason": ""}, 400)
	c.call(admin, "POST", base+"/entities/invoice/inv_1002/accept", map[string]string{"reason": "the accountant moved it to the next period"}, 200)
	c.call(admin, "POST", base+"/entities/invoice/inv_1001/push", nil, 202)
	c.call(admin, "POST", base+"/reconciliation", nil, 409)
	c.call(admin, "POST", base+"/entities/invoice/inv_none/push", nil, 404)
	c.call(admin, "GET", base+"/audit", nil, 200)

	// The operator API: provisioning and secret rotation.
	op := s.OperatorToken()
	ops := "/api/v1/operator/tenants"
	c.call("", "GET", ops, nil, 401)
	if got := c.header.Get("WWW-Authenticate"); got != `Bearer realm="qbosync"` {
		t.Errorf("operator 401 WWW-Authenticate = %q", got)
	}
	c.call(admin, "GET", ops, nil, 403)
	c.call(op, "GET", ops, nil, 200)
	c.call(op, "POST", ops, map[string]string{"id": "beta", "name": "Beta"}, 201)
	c.call(op, "POST", ops, map[string]string{"id": "beta", "name": "Beta again"}, 409)
	c.call(op, "POST", ops, map[string]string{"id": "Beta Co", "name": "Beta"}, 400)
	c.call(op, "POST", ops, map[string]string{"id": "gamma", "name": strings.Repeat("g", 5000)}, 413)
	c.do(op, "POST", ops, "text/plain", []byte(`{"id":"gamma","name":"Gamma"}`), func(got int) bool { return got == 415 })
	c.call(op, "GET", ops+"/beta", nil, 200)
	c.call(op, "GET", ops+"/ghost", nil, 404)
	c.call(op, "GET", ops+"/Not_A_Tenant", nil, 400)
	var added struct {
		Secret struct{ ID string } `json:"webhook_secret"`
	}
	if err := json.Unmarshal(c.call(op, "POST", ops+"/beta/webhook-secrets", nil, 201), &added); err != nil || added.Secret.ID == "" {
		t.Fatalf("no new secret id: %v", err)
	}
	c.call(op, "POST", ops+"/beta/webhook-secrets", nil, 409)
	c.call(op, "POST", ops+"/ghost/webhook-secrets", nil, 404)
	c.call(op, "DELETE", ops+"/beta/webhook-secrets/not-an-id", nil, 400)
	c.call(op, "DELETE", ops+"/beta/webhook-secrets/"+added.Secret.ID, nil, 204)
	var beta struct {
		Secrets []struct{ ID string } `json:"webhook_secrets"`
	}
	if err := json.Unmarshal(c.call(op, "GET", ops+"/beta", nil, 200), &beta); err != nil || len(beta.Secrets) != 1 {
		t.Fatalf("beta's secrets after retiring one: %+v %v", beta, err)
	}
	c.call(op, "DELETE", ops+"/beta/webhook-secrets/"+beta.Secrets[0].ID, nil, 409)
	c.call(op, "PUT", ops+"/beta/shared-companies/"+d.RealmID, nil, 200)
	c.call(op, "PUT", ops+"/beta/shared-companies/1234567", nil, 404)
	c.call(op, "PUT", ops+"/beta/shared-companies/not-a-realm", nil, 400)
	c.call(op, "PUT", ops+"/ghost/shared-companies/"+d.RealmID, nil, 404)

	// QuickBooks failing: 502 quickbooks_error.
	fault := `{"entity":"Customer","operation":"query","status":500,"count":20}`
	resp, err := http.Post(s.QBOURL()+"/_sim/companies/"+d.RealmID+"/faults", "application/json", strings.NewReader(fault))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add a QuickBooks fault: %v %v", resp, err)
	}
	resp.Body.Close()
	c.call(admin, "GET", base+"/qbo/customers?search=Acme", nil, 502)
	req, _ := http.NewRequest(http.MethodDelete, s.QBOURL()+"/_sim/companies/"+d.RealmID+"/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	// QuickBooks throttled the company (a 429 the sync met): it rests, and
	// the admin API answers 503 quickbooks_busy with Retry-After.
	if err := s.Store().ThrottleRealm(ctx, d.RealmID, time.Now().Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.callExpecting(admin, "GET", base+"/qbo/customers?search=Acme", 503, 503)
	if err := s.Store().ThrottleRealm(ctx, d.RealmID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !c.covered["searchQuickBooksCustomers"][503] {
		t.Error("the search was never refused with the budget spent")
	}

	// Every operation was called and answered with success at least once.
	var lines []string
	for _, op := range doc.Operations() {
		var statuses []string
		ok := false
		for st := range c.covered[op.ID] {
			statuses = append(statuses, fmt.Sprint(st))
			ok = ok || st/100 == 2
		}
		sort.Strings(statuses)
		if !ok {
			t.Errorf("%s (%s %s) was never answered with success", op.ID, op.Method, op.Path)
		}
		lines = append(lines, fmt.Sprintf("  %-26s %s", op.ID, strings.Join(statuses, " ")))
	}
	t.Logf("%d calls checked against api/admin.openapi.yaml; statuses seen per operation:\n%s", c.calls, strings.Join(lines, "\n"))
}

// redate moves a QuickBooks invoice to another date through the
// Accounting API with the tenant's token, as an accountant would.
func redate(t *testing.T, s *Stack, tenant, realm, id string) {
	t.Helper()
	conn, err := s.Store().Connection(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	api := qbo.New(qbo.WithToken(nil, conn.AccessToken), s.QBOURL())
	inv, err := qbo.Read[qbo.Invoice](context.Background(), api, realm, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qbo.Update(context.Background(), api, realm, qbo.Invoice{ID: inv.ID, SyncToken: inv.SyncToken, Sparse: true, TxnDate: "2026-12-31"}, ""); err != nil {
		t.Fatalf("redate invoice %s in QuickBooks: %v", id, err)
	}
}
