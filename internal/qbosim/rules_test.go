package qbosim_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// The rule tests pin the places where QuickBooks is known to answer
// differently from what a client might expect. Each names the Intuit
// behaviour and its evidence (docs/qbosim.md, "Where the rules come from"),
// and runs against Intuit in conformance mode (conformance_test.go).

// incomeAccount returns the Id of an active Income account.
func (s *sim) incomeAccount() string {
	s.t.Helper()
	for _, a := range list(s.query("select * from Account where AccountType = 'Income'"), "Account") {
		if m, _ := a.(map[string]any); m["Active"] == true {
			return str(m, "Id")
		}
	}
	s.t.Fatal("no active Income account")
	return ""
}

// serviceItem returns the Id of an active Service item.
func (s *sim) serviceItem() string {
	s.t.Helper()
	for _, it := range list(s.query("select * from Item where Active = true"), "Item") {
		if m, _ := it.(map[string]any); str(m, "Type") == "Service" {
			return str(m, "Id")
		}
	}
	s.t.Fatal("no active Service item")
	return ""
}

// deactivate makes a name-list record inactive with a sparse update and
// returns what QuickBooks answers.
func (s *sim) deactivate(entity string, e map[string]any) map[string]any {
	s.t.Helper()
	body := map[string]any{"Id": str(e, "Id"), "SyncToken": str(e, "SyncToken"), "sparse": true, "Active": false}
	if entity == "Account" {
		body["Name"] = str(e, "Name") // Account takes no sparse update without it
	}
	return s.ok(entity, "", body)
}

// Rule 1. A sparse update of an Account must carry Name: Intuit answers
// 2020 "Required parameter Name is missing in the request" (Intuit's
// quickbooks-online-mcp-server PR #79). The same update with Name passes.
func TestRuleAccountSparseUpdateNeedsName(t *testing.T) {
	s := newRuleSim(t)
	a := s.ok("Account", "", map[string]any{"Name": unique("Rule1 Income"), "AccountType": "Income"})
	r := s.api(http.MethodPost, "account", map[string]any{"Id": str(a, "Id"), "SyncToken": str(a, "SyncToken"),
		"sparse": true, "Description": "no name"})
	e := wantFault(t, r, http.StatusBadRequest, "2020")
	if !strings.Contains(str(e, "Detail"), "Required parameter Name is missing") {
		t.Errorf("Detail = %q", str(e, "Detail"))
	}
	up := s.ok("Account", "", map[string]any{"Id": str(a, "Id"), "SyncToken": str(a, "SyncToken"),
		"sparse": true, "Name": str(a, "Name"), "Description": "with name"})
	if str(up, "Description") != "with name" || str(up, "AccountType") != "Income" {
		t.Errorf("sparse update with Name = %v", up)
	}
	s.deactivate("Account", up)
}

// Rule 4. Making a Customer, Item or Account inactive renames it with
// " (deleted)", which frees the name for a new record (REFERENCE, Customer
// Active; Intuit community answers quoted there).
func TestRuleInactiveNameListRecordIsRenamedDeleted(t *testing.T) {
	s := newRuleSim(t)
	income := s.incomeAccount()
	tests := []struct {
		entity, key string
		body        func(name string) map[string]any
	}{
		{"Customer", "DisplayName", func(n string) map[string]any { return map[string]any{"DisplayName": n} }},
		{"Item", "Name", func(n string) map[string]any {
			return map[string]any{"Name": n, "Type": "Service", "IncomeAccountRef": refTo(income)}
		}},
		{"Account", "Name", func(n string) map[string]any { return map[string]any{"Name": n, "AccountType": "Income"} }},
	}
	for _, tc := range tests {
		// No subtests: the helpers fail the test they were made with.
		name := unique("Rule4 " + tc.entity)
		old := s.ok(tc.entity, "", tc.body(name))
		gone := s.deactivate(tc.entity, old)
		if got := str(gone, tc.key); got != name+" (deleted)" {
			t.Errorf("%s: inactive %s = %q, want %q", tc.entity, tc.key, got, name+" (deleted)")
		}
		r := s.api(http.MethodPost, strings.ToLower(tc.entity), tc.body(name))
		if r.status != http.StatusOK {
			t.Errorf("%s: new record with the freed name: %d %s", tc.entity, r.status, r.raw)
			continue
		}
		again := obj(r.body, tc.entity)
		if str(again, "Id") == str(old, "Id") || str(again, tc.key) != name {
			t.Errorf("%s: new record with the freed name = %v", tc.entity, again)
		}
		found := list(s.query("select * from "+tc.entity+" where "+tc.key+" = '"+name+" (deleted)' and Active = false"), tc.entity)
		if len(found) != 1 {
			t.Errorf("%s: query by the deleted name found %d records", tc.entity, len(found))
		}
		s.deactivate(tc.entity, again)
	}
}

// Rule 5. Intuit writes MetaData times and the response time in Pacific
// time (-08:00, -07:00 in summer), not UTC (Intuit staff in
// intuit/QuickBooks-V3-Java-SDK#26; the Java SDK's query fixture in
// shared/spec/qbo/samples). The instant is the same whatever the offset, so
// CDC finds the change from a UTC watermark and not from a later one
// written with another offset.
func TestRuleMetaDataTimesArePacific(t *testing.T) {
	s := newRuleSim(t)
	pacific, _ := time.LoadLocation("America/Los_Angeles")
	r := s.api(http.MethodPost, "customer", map[string]any{"DisplayName": unique("Rule5")})
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	c := obj(r.body, "Customer")
	for _, raw := range []string{str(obj(c, "MetaData"), "CreateTime"), str(obj(c, "MetaData"), "LastUpdatedTime"), str(r.body, "time")} {
		at, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			t.Fatalf("time %q: %v", raw, err)
		}
		_, want := at.In(pacific).Zone()
		if _, got := at.Zone(); got != want || want == 0 {
			t.Errorf("time %q has offset %ds, want Pacific's %ds", raw, got, want)
		}
	}
	updated, _ := time.Parse(time.RFC3339, str(obj(c, "MetaData"), "LastUpdatedTime"))

	cdc := func(since time.Time) []any {
		t.Helper()
		r := s.api(http.MethodGet, "cdc?entities=Customer&changedSince="+url.QueryEscape(since.Format(time.RFC3339)), nil)
		if r.status != http.StatusOK {
			t.Fatalf("cdc since %s: %d %s", since.Format(time.RFC3339), r.status, r.raw)
		}
		var out []any
		for _, q := range list(list(r.body, "CDCResponse")[0].(map[string]any), "QueryResponse") {
			for _, e := range list(q.(map[string]any), "Customer") {
				if str(e.(map[string]any), "Id") == str(c, "Id") {
					out = append(out, e)
				}
			}
		}
		return out
	}
	if got := cdc(updated.Add(-time.Second).UTC()); len(got) != 1 {
		t.Errorf("cdc from a UTC watermark before the change: %d records, want 1", len(got))
	}
	if got := cdc(updated.Add(time.Second).In(time.FixedZone("", 5*3600))); len(got) != 0 {
		t.Errorf("cdc from a +05:00 watermark after the change: %d records, want 0", len(got))
	}
}

// Rule 5, dates. A transaction sent without TxnDate is dated in Pacific
// time: at 03:00 UTC it is still the day before in California.
func TestRuleDefaultTxnDateIsPacificDate(t *testing.T) {
	s := newRuleSim(t)
	s.needsControl(t)
	s.clock.Advance(15 * time.Hour) // 2026-03-16T03:00Z is 2026-03-15 20:00 PDT
	s.co = qbosimtest.NewCompany(t, s.url, "US", "")
	inv := s.invoice(s.customer("Rule5 dates"), "10.00", nil)
	if got := str(inv, "TxnDate"); got != "2026-03-15" {
		t.Errorf("TxnDate = %s, want the Pacific date 2026-03-15", got)
	}
}

// Rule 6. Reads carry the properties Intuit always returns with defaults
// (Intuit's API reference Customer and Invoice samples): Customer Taxable,
// BillWithParent, PreferredDeliveryMethod, PrintOnCheckName and address
// Ids; Invoice PrintStatus, EmailStatus and the customer's BillAddr. A full
// update that echoes the read object back is accepted and changes nothing.
func TestRuleReadsCarryIntuitDefaults(t *testing.T) {
	s := newRuleSim(t)
	name := unique("Rule6")
	c := s.ok("Customer", "", map[string]any{"DisplayName": name,
		"BillAddr": map[string]any{"Line1": "1 Main St", "City": "Springfield", "PostalCode": "12345"}})
	for _, key := range []string{"Taxable", "BillWithParent", "PreferredDeliveryMethod", "PrintOnCheckName"} {
		if _, ok := c[key]; !ok {
			t.Errorf("Customer has no %s: %v", key, c)
		}
	}
	if str(obj(c, "BillAddr"), "Id") == "" {
		t.Errorf("BillAddr has no Id: %v", obj(c, "BillAddr"))
	}
	echoed := s.ok("Customer", "", c)
	if str(obj(echoed, "BillAddr"), "Id") != str(obj(c, "BillAddr"), "Id") || str(echoed, "DisplayName") != name {
		t.Errorf("echoed full update changed the customer: %v", echoed)
	}

	line := map[string]any{"Amount": 10, "DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": map[string]any{"ItemRef": refTo(s.serviceItem())}}
	inv := s.ok("Invoice", "", map[string]any{"CustomerRef": refTo(str(c, "Id")), "Line": []any{line}})
	if str(inv, "PrintStatus") == "" || str(inv, "EmailStatus") == "" {
		t.Errorf("Invoice PrintStatus %q EmailStatus %q, want defaults", str(inv, "PrintStatus"), str(inv, "EmailStatus"))
	}
	if str(obj(inv, "BillAddr"), "Line1") != "1 Main St" {
		t.Errorf("Invoice BillAddr = %v, want the customer's", obj(inv, "BillAddr"))
	}
	echoedInv := s.ok("Invoice", "", inv)
	if str(echoedInv, "TotalAmt") != str(inv, "TotalAmt") || str(echoedInv, "PrintStatus") != str(inv, "PrintStatus") {
		t.Errorf("echoed invoice = %v", echoedInv)
	}
	s.api(http.MethodPost, "invoice?operation=delete", map[string]any{"Id": str(echoedInv, "Id"), "SyncToken": str(echoedInv, "SyncToken")})
}

// Rule 8. Intuit needs ParentRef only for a sub-customer: an empty
// "ParentRef":{} with Job false or absent is a top-level customer; Job true
// without a parent is refused.
func TestRuleEmptyParentRefIsTopLevelCustomer(t *testing.T) {
	s := newRuleSim(t)
	for _, job := range []any{false, nil} {
		body := map[string]any{"DisplayName": unique("Rule8"), "ParentRef": map[string]any{}}
		if job != nil {
			body["Job"] = job
		}
		c := s.ok("Customer", "", body)
		if c["Job"] != false || str(obj(c, "ParentRef"), "value") != "" || str(c, "FullyQualifiedName") != str(c, "DisplayName") {
			t.Errorf("Job %v: customer = %v, want a top-level customer", job, c)
		}
	}
	r := s.api(http.MethodPost, "customer", map[string]any{"DisplayName": unique("Rule8 job"), "Job": true, "ParentRef": map[string]any{}})
	if r.status != http.StatusBadRequest {
		t.Errorf("Job true without a parent: %d %s, want 400", r.status, r.raw)
	}
}

// Rule 9. Intuit accepts a date with a zone suffix ("2026-11-30Z",
// intuit/QuickBooks-V3-PHP-SDK#185, where format('Y-m-d\Z') is the working
// answer) and keeps the calendar date written; the simulator reads a full
// timestamp in a date property the same way.
func TestRuleZonedDatesAreCalendarDates(t *testing.T) {
	s := newRuleSim(t)
	cust := s.customer(unique("Rule9"))
	for _, in := range []string{"2026-11-30Z", "2026-11-30-08:00", "2026-11-30+05:30", "2026-11-30T23:30:00-08:00"} {
		line := map[string]any{"Amount": 10, "DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": map[string]any{"ItemRef": refTo(s.serviceItem())}}
		inv := s.ok("Invoice", "", map[string]any{"CustomerRef": refTo(cust), "TxnDate": in, "DueDate": in, "Line": []any{line}})
		if str(inv, "TxnDate") != "2026-11-30" || str(inv, "DueDate") != "2026-11-30" {
			t.Errorf("TxnDate %s: stored TxnDate %s DueDate %s, want 2026-11-30", in, str(inv, "TxnDate"), str(inv, "DueDate"))
		}
		s.api(http.MethodPost, "invoice?operation=delete", map[string]any{"Id": str(inv, "Id"), "SyncToken": str(inv, "SyncToken")})
	}
	line := map[string]any{"Amount": 10, "DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": map[string]any{"ItemRef": refTo(s.serviceItem())}}
	r := s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "TxnDate": "30/11/2026", "Line": []any{line}})
	if r.status != http.StatusBadRequest {
		t.Errorf("TxnDate 30/11/2026: %d, want 400", r.status)
	}
}

// refreshOverHTTP runs a refresh-token grant against the simulator's token
// endpoint and returns the status and the tokens or error code.
func (s *sim) refreshOverHTTP(tokenURL, refresh string) (int, map[string]any) {
	s.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(standalone.DefaultClientID, standalone.DefaultClientSecret)
	r := s.send(req)
	return r.status, r.body
}

// Rule 7. Intuit returns the same refresh token for about a day and then a
// new one, after which the old one fails with invalid_grant (Intuit staff in
// IntuitDeveloper/oauth2-nodejs#2 and intuit/oauth-jsclient#74; REFERENCE
// §1). The simulator's clock moves with POST /_sim/clock.
func TestRuleRefreshTokenKeptForADayThenRotated(t *testing.T) {
	s := newRuleSim(t)
	s.needsControl(t)
	tokenURL := s.url + "/oauth2/v1/tokens/bearer"
	advance := func(seconds int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/_sim/clock", strings.NewReader(`{"advance_seconds":`+strconv.Itoa(seconds)+`}`))
		if r := s.send(req); r.status != http.StatusOK {
			t.Fatalf("advance clock: %d %s", r.status, r.raw)
		}
	}
	first := s.co.RefreshToken
	advance(23 * 3600)
	status, body := s.refreshOverHTTP(tokenURL, first)
	if status != http.StatusOK || str(body, "refresh_token") != first {
		t.Fatalf("refresh after 23 h: %d, same token %v; want 200 and the same refresh token", status, str(body, "refresh_token") == first)
	}
	advance(3600)
	status, body = s.refreshOverHTTP(tokenURL, first)
	rotated := str(body, "refresh_token")
	if status != http.StatusOK || rotated == "" || rotated == first {
		t.Fatalf("refresh after 24 h: %d, rotated %v; want 200 and a new refresh token", status, rotated != first)
	}
	if status, body = s.refreshOverHTTP(tokenURL, first); status != http.StatusBadRequest || str(body, "error") != "invalid_grant" {
		t.Errorf("old refresh token after rotation: %d %v, want 400 invalid_grant", status, body["error"])
	}
	if status, _ = s.refreshOverHTTP(tokenURL, rotated); status != http.StatusOK {
		t.Errorf("new refresh token: %d", status)
	}
}

// Rule 10. Intuit's clients start from the OpenID discovery document
// (shared/spec/qbo/samples/oauth_discovery.json, REFERENCE §1): the
// simulator serves both the production and the sandbox document, and the
// token endpoint it names works.
func TestRuleOpenIDDiscoveryPointsAtSimulator(t *testing.T) {
	s := newRuleSim(t)
	s.needsControl(t)
	for _, path := range []string{"/.well-known/openid_configuration", "/.well-known/openid_sandbox_configuration"} {
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		r := s.send(req)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.status)
		}
		for _, key := range []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
			"revocation_endpoint", "jwks_uri", "scopes_supported", "claims_supported"} {
			if r.body[key] == nil {
				t.Errorf("%s: no %s", path, key)
			}
		}
		if !strings.HasPrefix(str(r.body, "authorization_endpoint"), s.url+"/") {
			t.Errorf("%s: authorization_endpoint %s is not the simulator's", path, str(r.body, "authorization_endpoint"))
		}
		if status, body := s.refreshOverHTTP(str(r.body, "token_endpoint"), s.co.RefreshToken); status != http.StatusOK || str(body, "access_token") == "" {
			t.Errorf("%s: refresh at the discovered token endpoint: %d", path, status)
		}
	}
}
