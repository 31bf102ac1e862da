// Package admintest runs the admin function on the local dev stack for
// tests: admin tokens signed with the stack's JWT key, and tenants whose
// billing events are signed and posted like a billing system's.
package admintest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/devstack"
)

// Env is a running stack; its gateway serves the admin function at URL.
type Env struct {
	Stack  *devstack.Stack
	URL    string
	issuer *auth.Local
}

// Start starts a stack for tb (devstack.ForTest). Tokens are issued with
// the stack's local JWT key, the one its admin function verifies.
func Start(tb testing.TB) *Env {
	tb.Helper()
	s := devstack.ForTest(tb)
	key, err := hex.DecodeString(s.Deps().Config.AuthLocalKey)
	if err != nil || len(key) < 32 {
		tb.Fatalf("the stack has no local JWT key (AUTH_LOCAL_KEY): %v", err)
	}
	return &Env{Stack: s, URL: s.GatewayURL(), issuer: auth.NewLocal(key)}
}

// Token issues an admin token of tenant for subject, valid for an hour.
func (e *Env) Token(tb testing.TB, tenant, subject string) string {
	tb.Helper()
	tok, err := e.issuer.Issue(auth.Claims{Subject: subject, Tenant: tenant, Role: auth.RoleAdmin, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// Issue issues a token with any claims, expired or of another role.
func (e *Env) Issue(tb testing.TB, c auth.Claims) string {
	tb.Helper()
	tok, err := e.issuer.Issue(c)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// Do sends a request to the admin API with token (none if empty) and
// returns the status and body.
func (e *Env) Do(tb testing.TB, method, path, token string, body any) (int, []byte) {
	tb.Helper()
	return Request(tb, method, e.URL+path, token, body)
}

// Request sends body (none if nil) as JSON to u with a bearer token
// (none if empty) and returns the status and body.
func Request(tb testing.TB, method, u, token string, body any) (int, []byte) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// Tenant is a tenant of the stack with its webhook secret.
type Tenant struct {
	env    *Env
	ID     string
	Realm  string
	secret []byte
	seq    int
}

// NewTenant creates tenant id; connected connects it to a new simulator
// company through the OAuth flow.
func (e *Env) NewTenant(tb testing.TB, id string, connected bool) *Tenant {
	tb.Helper()
	t := &Tenant{env: e, ID: id, secret: []byte("whsec_" + id)}
	if err := e.Stack.CreateTenant(context.Background(), id, string(t.secret)); err != nil {
		tb.Fatal(err)
	}
	if connected {
		t.Connect(tb)
	}
	return t
}

// Connect connects the tenant to a new simulator company.
func (t *Tenant) Connect(tb testing.TB) {
	tb.Helper()
	realm, err := t.env.Stack.ConnectQBO(context.Background(), t.ID)
	if err != nil {
		tb.Fatalf("connect %s: %v", t.ID, err)
	}
	t.Realm = realm
}

// Post signs and posts one billing event of type typ; it must be accepted.
func (t *Tenant) Post(tb testing.TB, typ string, data map[string]any) {
	tb.Helper()
	t.seq++
	body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_%s_%d", t.ID, t.seq), "type": typ,
		"occurred_at": time.Now().UTC().Format(time.RFC3339), "data": data})
	status, answer, err := t.env.Stack.PostEvent(context.Background(), t.ID, t.secret, body)
	if err != nil || status != http.StatusAccepted {
		tb.Fatalf("post %s: %d %s %v", typ, status, answer, err)
	}
}

// Drain waits until the sync has nothing left to do.
func (t *Tenant) Drain(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := t.env.Stack.Drain(ctx); err != nil {
		tb.Fatalf("drain: %v", err)
	}
}

// SimPreferences changes the company's preferences through the
// simulator's control surface, as an admin would in QuickBooks.
func (t *Tenant) SimPreferences(tb testing.TB, patch map[string]any) {
	tb.Helper()
	t.control(tb, http.MethodPatch, "preferences", patch, http.StatusOK)
}

// SimFault makes the company's next API calls that match rule fail, through
// the simulator's control surface (see docs/qbosim.md).
func (t *Tenant) SimFault(tb testing.TB, rule map[string]any) {
	tb.Helper()
	t.control(tb, http.MethodPost, "faults", rule, http.StatusCreated)
}

// ClearSimFaults removes the company's pending fault rules.
func (t *Tenant) ClearSimFaults(tb testing.TB) {
	tb.Helper()
	t.control(tb, http.MethodDelete, "faults", nil, http.StatusNoContent)
}

func (t *Tenant) control(tb testing.TB, method, path string, body any, want int) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, t.env.Stack.QBOURL()+"/_sim/companies/"+t.Realm+"/"+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		out, _ := io.ReadAll(resp.Body)
		tb.Fatalf("%s _sim %s: %d %s", method, path, resp.StatusCode, out)
	}
}

// QBO calls the company's Accounting API with the tenant's access token,
// as any QuickBooks app would, and decodes the answer into out.
func (t *Tenant) QBO(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	conn, err := t.env.Stack.Store().Connection(context.Background(), t.ID)
	if err != nil {
		tb.Fatal(err)
	}
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, t.env.Stack.QBOURL()+"/v3/company/"+t.Realm+"/"+path, r)
	req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("QBO %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatal(err)
		}
	}
}

// CreateQBOCustomer creates a customer directly in QuickBooks and returns its id.
func (t *Tenant) CreateQBOCustomer(tb testing.TB, name, email string) string {
	tb.Helper()
	var out struct{ Customer struct{ Id string } }
	t.QBO(tb, http.MethodPost, "customer", map[string]any{"DisplayName": name,
		"PrimaryEmailAddr": map[string]string{"Address": email}}, &out)
	return out.Customer.Id
}

// QueryQBO runs a query on the company and returns the response's rows of entity.
func (t *Tenant) QueryQBO(tb testing.TB, entity, stmt string) []map[string]any {
	tb.Helper()
	var out struct{ QueryResponse map[string]json.RawMessage }
	t.QBO(tb, http.MethodGet, "query?query="+url.QueryEscape(stmt), nil, &out)
	var rows []map[string]any
	if raw, ok := out.QueryResponse[entity]; ok {
		_ = json.Unmarshal(raw, &rows)
	}
	return rows
}

// Customer is a billing customer snapshot.
func Customer(id, name, email string) map[string]any {
	return map[string]any{"id": id, "version": 1, "display_name": name, "email": email, "currency": "USD"}
}

// Invoice is a posted one-line billing invoice of amount minor units.
func Invoice(id, customerID, number string, amount int64) map[string]any {
	return map[string]any{"id": id, "version": 1, "customer_id": customerID, "number": number, "status": "posted",
		"issued_on": "2026-11-21", "due_on": "2026-12-21", "currency": "USD",
		"lines": []map[string]any{{"id": "l1", "description": "Subscription", "quantity": "1", "unit_amount": amount,
			"amount": amount, "discount_amount": 0, "tax_amount": 0}},
		"subtotal": amount, "discount_total": 0, "tax_total": 0, "total": amount, "amount_due": amount}
}

// Payment is a card payment applied in full to one invoice.
func Payment(id, customerID, invoiceID string, amount int64) map[string]any {
	return map[string]any{"id": id, "version": 1, "customer_id": customerID, "received_on": "2026-11-22",
		"amount": amount, "currency": "USD", "method": "card", "reference": "ch_" + id,
		"applications": []map[string]any{{"invoice_id": invoiceID, "amount": amount}}}
}
