package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// tenantEnv is a connected tenant on a running stack.
type tenantEnv struct {
	t      testing.TB
	stack  *devstack.Stack
	tenant string
	secret []byte
	realm  string
	seq    int
}

func newTenant(t testing.TB, s *devstack.Stack, tenant string) *tenantEnv {
	t.Helper()
	ctx := context.Background()
	secret := "whsec_" + tenant
	if err := s.CreateTenant(ctx, tenant, secret); err != nil {
		t.Fatal(err)
	}
	realm, err := s.ConnectQBO(ctx, tenant)
	if err != nil {
		t.Fatalf("connect QuickBooks through the OAuth flow: %v", err)
	}
	return &tenantEnv{t: t, stack: s, tenant: tenant, secret: []byte(secret), realm: realm}
}

// post signs and posts one event and returns the answer's status and body.
func (e *tenantEnv) post(eventID, typ string, data any) (int, map[string]any) {
	e.t.Helper()
	if eventID == "" {
		e.seq++
		eventID = fmt.Sprintf("evt_%s_%d", e.tenant, e.seq)
	}
	body, err := json.Marshal(map[string]any{"id": eventID, "type": typ,
		"occurred_at": time.Now().UTC().Format(time.RFC3339), "data": data})
	if err != nil {
		e.t.Fatal(err)
	}
	status, resp, err := e.stack.PostEvent(context.Background(), e.tenant, e.secret, body)
	if err != nil {
		e.t.Fatalf("post %s: %v", typ, err)
	}
	var out map[string]any
	_ = json.Unmarshal(resp, &out)
	return status, out
}

// mustPost posts and requires the given status.
func (e *tenantEnv) mustPost(want int, typ string, data any) string {
	e.t.Helper()
	status, out := e.post("", typ, data)
	if status != want {
		e.t.Fatalf("post %s: status %d %v, want %d", typ, status, out, want)
	}
	id, _ := out["event_id"].(string)
	return id
}

func (e *tenantEnv) drain() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := e.stack.Drain(ctx); err != nil {
		e.t.Fatalf("queues did not drain: %v", err)
	}
}

// qbo queries the simulator's Accounting API with the tenant's own token,
// as any QuickBooks client would.
func (e *tenantEnv) qbo(stmt string) map[string]any {
	e.t.Helper()
	conn, err := e.stack.Store().Connection(context.Background(), e.tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	u := fmt.Sprintf("%s/v3/company/%s/query?minorversion=75&query=%s", e.stack.QBOURL(), e.realm, url.QueryEscape(stmt))
	var resp *http.Response
	var b []byte
	// Like any QBO client, the checker waits out the realm's rate limit
	// (the sync may have spent this minute's budget).
	for wait := time.Duration(0); ; wait += 2 * time.Second {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
		req.Header.Set("Accept", "application/json")
		if resp, err = http.DefaultClient.Do(req); err != nil {
			e.t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || wait > 70*time.Second {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("query %q: %d %s", stmt, resp.StatusCode, b)
	}
	var out struct {
		QueryResponse map[string]any
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out.QueryResponse
}

// objects returns the entities of a query response.
func (e *tenantEnv) objects(entity, stmt string) []map[string]any {
	e.t.Helper()
	list, _ := e.qbo(stmt)[entity].([]any)
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}

func (e *tenantEnv) count(stmt string) int {
	e.t.Helper()
	n, err := e.qbo(stmt)["totalCount"].(json.Number).Int64()
	if err != nil {
		e.t.Fatalf("count %q: %v", stmt, err)
	}
	return int(n)
}

func (e *tenantEnv) status(kind billing.Kind, id string) string {
	e.t.Helper()
	st, err := e.stack.Store().Entity(context.Background(), e.tenant, kind, id)
	if err != nil {
		e.t.Fatalf("entity %s/%s: %v", kind, id, err)
	}
	s := string(st.Status)
	if st.WaitingOn != "" {
		s += " on " + st.WaitingOn
	}
	if st.Warning != nil {
		s += ": " + st.Warning.Code + " " + st.Warning.Message + " " + st.Warning.Detail
	}
	return s
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// field walks a path of keys through decoded JSON.
func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
