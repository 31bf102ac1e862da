package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/admin"
	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/auth"
)

// get calls the API with token and decodes a 2xx answer.
func get(t *testing.T, e *admintest.Env, token, path string, out any) {
	t.Helper()
	call(t, e, token, http.MethodGet, path, nil, http.StatusOK, out)
}

func call(t *testing.T, e *admintest.Env, token, method, path string, body any, want int, out any) {
	t.Helper()
	status, b := e.Do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type overview struct {
	Connection struct{ Status, RealmID string }   `json:"connection"`
	Queued     int64                              `json:"queued"`
	Warnings   int64                              `json:"warnings"`
	Oldest     *struct{ Kind, ID, Status string } `json:"oldest_unsynced"`
	Kinds      []struct {
		Kind      string
		InBilling int64 `json:"in_billing"`
		Synced    int64
		Waiting   int64
		NotTried  int64 `json:"not_tried"`
		Warnings  int64
		Dismissed int64
	} `json:"kinds"`
}

func (o overview) kind(k string) (in, synced, waiting, warnings, dismissed int64) {
	for _, c := range o.Kinds {
		if c.Kind == k {
			return c.InBilling, c.Synced, c.Waiting, c.Warnings, c.Dismissed
		}
	}
	return
}

type row struct {
	Kind, ID, Status string
	Attempts         int
	Warning          *struct {
		Code, Message, Detail, Cause, Fix string
		IntuitTID                         string `json:"intuit_tid"`
	}
	WaitingOn *struct{ Kind, ID string } `json:"waiting_on"`
	Blocks    *struct {
		Count    int
		ByKind   map[string]int `json:"by_kind"`
		Entities []struct{ Kind, ID string }
	}
	Dismissal *struct{ By, Reason string }
}

type detail struct {
	row
	QBO     *struct{ ID, Type, URL string } `json:"qbo"`
	History []struct {
		Type, Action, Status, By string
		Warning                  *struct{ Code string }
	}
	Snapshot           map[string]any
	CustomerConnection *struct {
		Mode      string
		StartDate string `json:"start_date"`
		QBOID     string `json:"qbo_id"`
	} `json:"customer_connection"`
}

type list struct {
	Entities   []row
	NextCursor string `json:"next_cursor"`
}

// TestWarningResolvedByResend follows an admin through a duplicate
// DocNumber: the overview counts it, the list explains it and shows the
// payment it blocks, dismiss and restore are audited, and after the fix in
// QuickBooks a resend by error code syncs the invoice and its payment.
func TestWarningResolvedByResend(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	tok := e.Token(t, "acme", "ann@acme.example")
	acme.Post(t, "customer.created", admintest.Customer("cus_1", "Acme Corp", "ap@acme.example"))
	acme.Post(t, "invoice.created", admintest.Invoice("inv_1", "cus_1", "A-100", 5000))
	acme.Drain(t)
	acme.Post(t, "invoice.created", admintest.Invoice("inv_2", "cus_1", "A-100", 7000))
	acme.Post(t, "payment.created", admintest.Payment("pay_2", "cus_1", "inv_2", 7000))
	acme.Drain(t)
	base := "/api/v1/tenants/acme"

	var ov overview
	get(t, e, tok, base+"/overview", &ov)
	if in, synced, _, warnings, _ := ov.kind("invoice"); in != 2 || synced != 1 || warnings != 1 {
		t.Errorf("invoices: in billing %d, synced %d, warnings %d; want 2, 1, 1", in, synced, warnings)
	}
	if _, _, waiting, _, _ := ov.kind("payment"); waiting != 1 {
		t.Errorf("payments waiting = %d, want 1", waiting)
	}
	if ov.Connection.Status != "connected" || ov.Warnings != 1 || ov.Queued != 1 {
		t.Errorf("overview: connection %q, warnings %d, queued %d; want connected, 1, 1", ov.Connection.Status, ov.Warnings, ov.Queued)
	}
	if ov.Oldest == nil || ov.Oldest.ID != "inv_2" {
		t.Errorf("oldest unsynced = %+v, want invoice inv_2", ov.Oldest)
	}

	var warned list
	get(t, e, tok, base+"/entities?status=warning", &warned)
	if len(warned.Entities) != 1 {
		t.Fatalf("warnings = %+v, want only inv_2", warned.Entities)
	}
	w := warned.Entities[0]
	if w.ID != "inv_2" || w.Warning == nil || w.Warning.Code != "6140" || !strings.Contains(w.Warning.Detail, "DocNumber=A-100") ||
		!strings.Contains(w.Warning.Cause, "number") || w.Warning.Fix == "" {
		t.Errorf("warning row = %+v / %+v, want 6140 with QBO's detail and a cause and fix", w, w.Warning)
	}
	if w.Blocks == nil || w.Blocks.ByKind["payment"] != 1 {
		t.Errorf("inv_2 blocks %+v, want 1 payment (shown under it, not as its own error)", w.Blocks)
	}
	var waiting list
	get(t, e, tok, base+"/entities?status=waiting", &waiting)
	if len(waiting.Entities) != 1 || waiting.Entities[0].WaitingOn == nil || waiting.Entities[0].WaitingOn.ID != "inv_2" {
		t.Errorf("waiting = %+v, want pay_2 waiting on inv_2", waiting.Entities)
	}

	var d detail
	get(t, e, tok, base+"/entities/invoice/inv_2", &d)
	if d.Warning == nil || d.Warning.IntuitTID == "" || d.QBO != nil || len(d.History) == 0 || d.History[0].Warning == nil ||
		d.History[0].Warning.Code != "6140" || d.Blocks == nil || len(d.Blocks.Entities) != 1 || d.Blocks.Entities[0].ID != "pay_2" {
		t.Errorf("detail of inv_2 = %+v", d)
	}
	var synced detail
	get(t, e, tok, base+"/entities/invoice/inv_1", &synced)
	if synced.QBO == nil || synced.QBO.Type != "Invoice" || !strings.HasPrefix(synced.QBO.URL, e.Stack.QBOURL()+"/_sim/companies/") {
		t.Fatalf("inv_1 in QuickBooks = %+v, want an Invoice with the simulator's page of it", synced.QBO)
	}
	// On the simulator, "Open in QuickBooks" opens the simulator's own page.
	page, err := http.Get(synced.QBO.URL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.Contains(string(html), "Invoice "+synced.QBO.ID) || !strings.Contains(string(html), "A-100") {
		t.Errorf("simulator page of inv_1: %d %s", page.StatusCode, html)
	}
	if got := admin.AppURL("https://sandbox-quickbooks.api.intuit.com"); got != "https://app.sandbox.qbo.intuit.com" {
		t.Errorf("AppURL(sandbox API) = %q", got)
	}
	if got := admin.AppURL("https://quickbooks.api.intuit.com"); got != "https://app.qbo.intuit.com" {
		t.Errorf("AppURL(production API) = %q", got)
	}
	if synced.Snapshot["number"] != "A-100" {
		t.Errorf("snapshot = %v", synced.Snapshot)
	}

	// Dismiss needs a reason; it is audited and can be undone.
	call(t, e, tok, http.MethodPost, base+"/entities/invoice/inv_2/dismiss", map[string]string{"reason": " "}, http.StatusBadRequest, nil)
	call(t, e, tok, http.MethodPost, base+"/entities/invoice/inv_2/dismiss", map[string]string{"reason": "booked by hand"}, http.StatusOK, nil)
	ov = overview{}
	get(t, e, tok, base+"/overview", &ov)
	if _, _, _, warnings, dismissed := ov.kind("invoice"); warnings != 0 || dismissed != 1 {
		t.Errorf("after dismiss: invoice warnings %d dismissed %d, want 0 and 1", warnings, dismissed)
	}
	call(t, e, tok, http.MethodPost, base+"/entities/invoice/inv_1/dismiss", map[string]string{"reason": "x"}, http.StatusConflict, nil)
	call(t, e, tok, http.MethodPost, base+"/entities/invoice/inv_2/undismiss", map[string]string{}, http.StatusOK, nil)
	var audit struct {
		Entries []struct{ By, Action, ID, Reason string }
	}
	get(t, e, tok, base+"/audit", &audit)
	if len(audit.Entries) != 2 || audit.Entries[1].Action != "dismiss" || audit.Entries[1].By != "ann@acme.example" ||
		audit.Entries[1].Reason != "booked by hand" || audit.Entries[0].Action != "undismiss" {
		t.Errorf("audit log = %+v, want dismiss by ann with the reason, then undismiss", audit.Entries)
	}

	// A resend before the fix fails the same way, one attempt more.
	call(t, e, tok, http.MethodPost, base+"/entities/invoice/inv_2/resend", nil, http.StatusAccepted, nil)
	acme.Drain(t)
	d = detail{}
	get(t, e, tok, base+"/entities/invoice/inv_2", &d)
	if d.Status != "warning" || d.Warning == nil || d.Warning.Code != "6140" || d.Attempts != 2 {
		t.Errorf("after a resend without the fix: %s %+v attempts %d, want the 6140 warning, 2 attempts", d.Status, d.Warning, d.Attempts)
	}

	// The admin fixes QuickBooks and resends everything that failed with 6140.
	acme.SimPreferences(t, map[string]any{"duplicate_doc_number_check": false})
	var res struct {
		Resent, Examined int
		Done             bool
	}
	call(t, e, tok, http.MethodPost, base+"/resend", map[string]any{"code": "6140"}, http.StatusOK, &res)
	if res.Resent != 1 || !res.Done {
		t.Errorf("resend all 6140 = %+v, want 1 resent, done", res)
	}
	acme.Drain(t)
	for _, id := range []string{"invoice/inv_2", "payment/pay_2"} {
		d = detail{}
		get(t, e, tok, base+"/entities/"+id, &d)
		if d.Status != "synced" || d.QBO == nil {
			t.Errorf("%s after the fix: %s (QBO %+v), want synced", id, d.Status, d.QBO)
		}
	}
	ov = overview{}
	get(t, e, tok, base+"/overview", &ov)
	if ov.Warnings != 0 || ov.Queued != 0 || ov.Oldest != nil {
		t.Errorf("overview after the fix: warnings %d queued %d oldest %+v, want all synced", ov.Warnings, ov.Queued, ov.Oldest)
	}

	// Paging: a cursor continues the list; a made-up one is refused.
	var page1, page2 list
	get(t, e, tok, base+"/entities?status=synced&limit=2", &page1)
	if len(page1.Entities) != 2 || page1.Entities[0].Kind != "customer" || page1.NextCursor == "" {
		t.Fatalf("first page = %+v, want the customer first and a cursor", page1)
	}
	get(t, e, tok, base+"/entities?status=synced&limit=2&cursor="+page1.NextCursor, &page2)
	if len(page2.Entities) != 2 || page2.Entities[0].ID == page1.Entities[0].ID {
		t.Errorf("second page = %+v", page2.Entities)
	}
	call(t, e, tok, http.MethodGet, base+"/entities?status=synced&cursor=bm9wZQ", nil, http.StatusBadRequest, nil)
	call(t, e, tok, http.MethodGet, base+"/entities?status=nope", nil, http.StatusBadRequest, nil)
}

// TestTenantWall: a valid admin token of one tenant gets nothing of
// another tenant's, on every endpoint; no or a bad token gets nothing at all.
func TestTenantWall(t *testing.T) {
	e := admintest.Start(t)
	a := e.NewTenant(t, "tenant-a", true)
	a.Post(t, "customer.created", admintest.Customer("cus_a", "A Corp", "a@a.example"))
	b := e.NewTenant(t, "tenant-b", true)
	b.Post(t, "customer.created", admintest.Customer("cus_b", "B Corp", "b@b.example"))
	b.Post(t, "invoice.created", admintest.Invoice("inv_b", "cus_b", "B-1", 100))
	b.Drain(t)
	tokA := e.Token(t, "tenant-a", "mallory@a.example")
	endpoints := []struct {
		method, path string
		body         any
	}{
		{"GET", "/overview", nil},
		{"GET", "/entities?status=synced", nil},
		{"GET", "/entities/invoice/inv_b", nil},
		{"POST", "/entities/invoice/inv_b/resend", nil},
		{"POST", "/entities/invoice/inv_b/dismiss", map[string]string{"reason": "mine now"}},
		{"POST", "/entities/invoice/inv_b/undismiss", map[string]string{}},
		{"POST", "/resend", map[string]any{"status": "synced"}},
		{"POST", "/sync-now", map[string]any{}},
		{"GET", "/qbo/customers?search=B", nil},
		{"POST", "/customers/cus_b/connect", map[string]any{"mode": "create"}},
		{"GET", "/settings", nil},
		{"PATCH", "/settings", map[string]any{"tax_mode": "none"}},
		{"GET", "/audit", nil},
	}
	otherKey, _ := auth.NewLocal([]byte("another key of thirty-two bytes!")).Issue(auth.Claims{Subject: "x", Tenant: "tenant-b",
		Role: auth.RoleAdmin, Expires: time.Now().Add(time.Hour)})
	operator := e.Issue(t, auth.Claims{Subject: "ops", Role: auth.RoleOperator, Expires: time.Now().Add(time.Hour)})
	for _, ep := range endpoints {
		path := "/api/v1/tenants/tenant-b" + ep.path
		if status, body := e.Do(t, ep.method, path, tokA, ep.body); status != http.StatusForbidden {
			t.Errorf("tenant A's token: %s %s = %d %s, want 403", ep.method, path, status, body)
		}
		if status, _ := e.Do(t, ep.method, path, "", ep.body); status != http.StatusUnauthorized {
			t.Errorf("no token: %s %s = %d, want 401", ep.method, path, status)
		}
		if status, _ := e.Do(t, ep.method, path, tokA+"x", ep.body); status != http.StatusUnauthorized {
			t.Errorf("forged token: %s %s = %d, want 401", ep.method, path, status)
		}
		if status, _ := e.Do(t, ep.method, path, otherKey, ep.body); status != http.StatusUnauthorized {
			t.Errorf("B's claims signed with another key: %s %s = %d, want 401", ep.method, path, status)
		}
		if status, _ := e.Do(t, ep.method, path, operator, ep.body); status != http.StatusForbidden {
			t.Errorf("operator token: %s %s = %d, want 403 (operators read no tenant's books)", ep.method, path, status)
		}
	}
	// Through A's own path, B's entity ids lead nowhere.
	for _, p := range []string{"/entities/invoice/inv_b", "/entities/customer/cus_b"} {
		if status, _ := e.Do(t, "GET", "/api/v1/tenants/tenant-a"+p, tokA, nil); status != http.StatusNotFound {
			t.Errorf("A's path with B's id %s = %d, want 404", p, status)
		}
	}
	if status, _ := e.Do(t, "POST", "/api/v1/tenants/tenant-a/entities/invoice/inv_b/resend", tokA, nil); status != http.StatusNotFound {
		t.Errorf("resend of B's invoice through A's path = %d, want 404", status)
	}
	var d detail
	get(t, e, e.Token(t, "tenant-b", "bob@b.example"), "/api/v1/tenants/tenant-b/entities/invoice/inv_b", &d)
	if d.Status != "synced" {
		t.Errorf("B's invoice after A's attempts: %s, want synced", d.Status)
	}
	for _, h := range d.History {
		if h.Type != "attempt" {
			t.Errorf("B's invoice has an admin action in its history: %+v", h)
		}
	}
	var ov overview
	get(t, e, tokA, "/api/v1/tenants/tenant-a/overview", &ov)
	if in, _, _, _, _ := ov.kind("invoice"); in != 0 {
		t.Errorf("A's overview counts %d invoices, want none (B's are B's)", in)
	}
}

// TestConnectCustomerAndSettings: a customer QuickBooks never accepted is
// latched to an existing QuickBooks customer
// found by search; sync now sends what waited; ledgers are checked against
// the company's chart of accounts.
func TestConnectCustomerAndSettings(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	qboID := acme.CreateQBOCustomer(t, "Globex Corporation", "accounts@globex.example")
	// QuickBooks fails every create of the two customers: they wait, and
	// are retried automatically, not tried successfully yet.
	acme.SimFault(t, map[string]any{"entity": "Customer", "operation": "create", "count": 1000, "status": 503})
	e.Stack.ResetCounts()
	acme.Post(t, "customer.created", admintest.Customer("cus_9", "Globex Corp.", "billing@globex.example"))
	acme.Post(t, "customer.created", admintest.Customer("cus_8", "Initech", "ap@initech.example"))
	for deadline := time.Now().Add(20 * time.Second); e.Stack.Counts().QBO["POST customer"] < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the two customers were not sent to QuickBooks")
		}
	}
	tok := e.Token(t, "acme", "ann@acme.example")
	base := "/api/v1/tenants/acme"

	var found struct {
		Customers []struct {
			ID          string
			DisplayName string `json:"display_name"`
		}
	}
	get(t, e, tok, base+"/qbo/customers?search=globex", &found)
	if len(found.Customers) != 1 || found.Customers[0].ID != qboID || found.Customers[0].DisplayName != "Globex Corporation" {
		t.Fatalf("search globex = %+v, want QuickBooks customer %s", found.Customers, qboID)
	}
	call(t, e, tok, http.MethodPost, base+"/customers/cus_9/connect", map[string]any{"mode": "latch", "qbo_customer_id": "99999"}, http.StatusUnprocessableEntity, nil)
	call(t, e, tok, http.MethodPost, base+"/customers/cus_9/connect", map[string]any{"mode": "latch"}, http.StatusBadRequest, nil)
	call(t, e, tok, http.MethodPost, base+"/customers/cus_9/connect",
		map[string]any{"mode": "latch", "qbo_customer_id": qboID, "start_date": "2026-01-01"}, http.StatusAccepted, nil)
	// Not drained: cus_8's create keeps failing and is retried
	// automatically, so the queues are not empty.
	var d detail
	for deadline := time.Now().Add(20 * time.Second); d.Status != "synced" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		d = detail{}
		get(t, e, tok, base+"/entities/customer/cus_9", &d)
	}
	if d.Status != "synced" || d.QBO == nil || d.QBO.ID != qboID || d.CustomerConnection == nil ||
		d.CustomerConnection.StartDate != "2026-01-01" || d.CustomerConnection.Mode != "latch" {
		t.Errorf("cus_9 after latching: %s, QBO %+v, connection %+v; want synced to %s from 2026-01-01", d.Status, d.QBO, d.CustomerConnection, qboID)
	}
	if rows := acme.QueryQBO(t, "Customer", "select * from Customer where DisplayName like 'Globex%'"); len(rows) != 1 {
		t.Errorf("QuickBooks has %d Globex customers, want the one latched to", len(rows))
	}
	call(t, e, tok, http.MethodPost, base+"/customers/cus_9/connect", map[string]any{"mode": "create"}, http.StatusConflict, nil)

	// cus_8 is still not synced; once QuickBooks is back, sync now sends
	// it at once rather than at its next automatic retry.
	acme.ClearSimFaults(t)
	var res struct {
		Resent int
		Done   bool
	}
	call(t, e, tok, http.MethodPost, base+"/sync-now", map[string]any{}, http.StatusOK, &res)
	if res.Resent > 1 || !res.Done {
		t.Errorf("sync now = %+v, want cus_8 sent (unless its automatic retry came first)", res)
	}
	acme.Drain(t)
	d = detail{}
	get(t, e, tok, base+"/entities/customer/cus_8", &d)
	if d.Status != "synced" {
		t.Errorf("cus_8 after sync now: %s, want synced", d.Status)
	}
	if rows := acme.QueryQBO(t, "Customer", "select * from Customer where DisplayName = 'Initech'"); len(rows) != 1 {
		t.Errorf("QuickBooks has %d Initech customers, want 1: sync now and the automatic retry create it once", len(rows))
	}

	var st struct {
		Ledgers []struct {
			Field    string
			Types    []string
			Value    string
			Accounts []struct{ ID, Name, Type string }
		}
	}
	get(t, e, tok, base+"/settings", &st)
	var bank, income string
	for _, l := range st.Ledgers {
		for _, a := range l.Accounts {
			if !contains(l.Types, a.Type) {
				t.Errorf("%s offers %s account %q", l.Field, a.Type, a.Name)
			}
			if l.Field == "deposit_account_id" && a.Type == "Bank" {
				bank = a.ID
			}
			if l.Field == "revenue_account_id" && a.Type == "Income" {
				income = a.ID
			}
		}
		if l.Field == "revenue_account_id" && len(l.Accounts) == 0 {
			t.Error("no account offered for the revenue ledger")
		}
	}
	var bad struct {
		Problems []Problem
	}
	call(t, e, tok, http.MethodPatch, base+"/settings", map[string]any{"revenue_account_id": bank}, http.StatusUnprocessableEntity, &bad)
	if len(bad.Problems) != 1 || bad.Problems[0].Field != "revenue_account_id" ||
		!strings.Contains(bad.Problems[0].Message, "is a Bank account; the revenue ledger must be Other Current Liability (Deferred Revenue) or Income") {
		t.Errorf("a Bank account as revenue ledger: %+v", bad.Problems)
	}
	call(t, e, tok, http.MethodPatch, base+"/settings", map[string]any{"tax_mode": "guess"}, http.StatusUnprocessableEntity, nil)
	call(t, e, tok, http.MethodPatch, base+"/settings", map[string]any{"revenue_account_id": income, "sync_from": "2026-01-01"}, http.StatusOK, nil)
	st.Ledgers = nil
	get(t, e, tok, base+"/settings", &st)
	for _, l := range st.Ledgers {
		if l.Field == "revenue_account_id" && l.Value != income {
			t.Errorf("revenue ledger = %q after saving %q", l.Value, income)
		}
	}
}

type Problem struct{ Field, Message string }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
