package qbosim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// QBO answers every call with an intuit_tid header and accepts minorversion.
func TestResponsesCarryIntuitTIDAndAcceptMinorVersion(t *testing.T) {
	s := newSim(t, "")
	r := s.api(http.MethodGet, "companyinfo/"+s.co.RealmID+"?minorversion=75", nil)
	if r.status != http.StatusOK {
		t.Fatalf("read CompanyInfo: %d %s", r.status, r.raw)
	}
	if !regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(r.header.Get("intuit_tid")) {
		t.Errorf("intuit_tid = %q", r.header.Get("intuit_tid"))
	}
	if got := str(obj(r.body, "CompanyInfo"), "CompanyName"); got != "Test Company" {
		t.Errorf("CompanyName = %q", got)
	}
	if r.body["time"] == nil {
		t.Error("response has no time member")
	}
}

// QBO's Fault body: {"Fault":{"Error":[{Message,Detail,code,element}],"type"},"time"}.
func TestFaultHasIntuitShape(t *testing.T) {
	s := newSim(t, "")
	r := s.api(http.MethodGet, "invoice/999999", nil)
	e := wantFault(t, r, http.StatusBadRequest, "610")
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "Detail,Message,code,element" {
		t.Errorf("Error keys = %v", keys)
	}
	if typ := obj(r.body, "Fault")["type"]; typ != "ValidationFault" {
		t.Errorf("Fault type = %v", typ)
	}
	if len(r.body) != 2 || r.body["time"] == nil {
		t.Errorf("top level = %v, want Fault and time", r.body)
	}
}

// QBO refuses a missing, unknown or expired bearer token with 401 and a
// token of another company with 403, both in the gateway's lower-case
// envelope {"warnings":null,"intuitObject":null,"fault":{"error":[...]}} with
// time in epoch milliseconds, not the Fault of validation errors. Evidence:
// routablehq/python-quickbooks#250 (401, 3200, type AUTHENTICATION);
// intuit/oauth-jsclient#2 and mcohen01/node-quickbooks#154 (403, 3100,
// type SERVICE, detail null).
func TestRuleAuthFailuresUseGatewayEnvelope(t *testing.T) {
	s := newRuleSim(t)
	tests := []struct {
		name, token string
		status      int
		code, typ   string
		message     string
		detail      any
	}{
		{"missing", "", http.StatusUnauthorized, "3200", "AUTHENTICATION",
			"message=AuthenticationFailed; errorCode=003200; statusCode=401", "Authorization header is missing or is not a Bearer token"},
		{"unknown", "not-a-token", http.StatusUnauthorized, "3200", "AUTHENTICATION",
			"message=AuthenticationFailed; errorCode=003200; statusCode=401", "Token invalid"},
	}
	if !s.intuit {
		tests = append(tests, struct {
			name, token string
			status      int
			code, typ   string
			message     string
			detail      any
		}{"other company", qbosimtestCompany(t, s).AccessToken, http.StatusForbidden, "3100", "SERVICE",
			"message=AuthorizationFailed; errorCode=003100; statusCode=403", nil})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s.intuit && tc.name == "missing" {
				t.Skip("Intuit's wording for a missing header is not pinned")
			}
			r := s.apiAs(tc.token, http.MethodGet, "preferences", nil)
			e := wantGatewayFault(t, r, tc.status, tc.code, tc.typ)
			if e["message"] != tc.message || e["detail"] != tc.detail {
				t.Errorf("error = %v, want message %q detail %v", e, tc.message, tc.detail)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		s.needsControl(t)
		if r := s.control(http.MethodPost, "expire-tokens", nil); r.status != http.StatusNoContent {
			t.Fatalf("expire-tokens: %d %s", r.status, r.raw)
		}
		e := wantGatewayFault(t, s.api(http.MethodGet, "preferences", nil), http.StatusUnauthorized, "3200", "AUTHENTICATION")
		if e["detail"] != "Token expired" {
			t.Errorf("detail = %v", e["detail"])
		}
	})
}

// wantGatewayFault checks the gateway envelope and returns its one error.
func wantGatewayFault(t *testing.T, r result, status int, code, typ string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.raw)
	}
	if _, ok := r.body["Fault"]; ok {
		t.Fatalf("body has the validation Fault, want the lower-case envelope: %s", r.raw)
	}
	for _, key := range []string{"warnings", "intuitObject", "report", "queryResponse", "requestId"} {
		if v, ok := r.body[key]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", key, v, ok)
		}
	}
	if _, ok := r.body["time"].(json.Number); !ok {
		t.Errorf("time = %v, want epoch milliseconds", r.body["time"])
	}
	f := obj(r.body, "fault")
	errs, _ := f["error"].([]any)
	if f["type"] != typ || len(errs) != 1 {
		t.Fatalf("fault = %v, want type %s and one error", f, typ)
	}
	e, _ := errs[0].(map[string]any)
	if e["code"] != code {
		t.Errorf("code = %v, want %s", e["code"], code)
	}
	if v, ok := e["element"]; !ok || v != nil {
		t.Errorf("element = %v, want null", v)
	}
	return e
}

// The OAuth endpoints share the listener: a consent creates a company whose
// code exchanges for a token the Accounting API accepts.
func TestOAuthConsentGivesWorkingToken(t *testing.T) {
	s := newSim(t, "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	consent := s.url + "/connect/oauth2?" + url.Values{
		"client_id": {"qbosim-client"}, "redirect_uri": {"http://localhost/cb"}, "response_type": {"code"},
		"scope": {"com.intuit.quickbooks.accounting"}, "state": {"xyz"},
	}.Encode()
	res, err := client.Get(consent)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("realmId") == "" {
		t.Fatalf("consent redirect = %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost/cb"}}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/oauth2/v1/tokens/bearer", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("qbosim-client", "qbosim-secret")
	tok := s.send(req)
	if tok.status != http.StatusOK {
		t.Fatalf("token exchange: %d %s", tok.status, tok.raw)
	}
	s.co.RealmID = loc.Query().Get("realmId")
	r := s.apiAs(str(tok.body, "access_token"), http.MethodGet, "companyinfo/"+s.co.RealmID, nil)
	if r.status != http.StatusOK {
		t.Fatalf("API with exchanged token: %d %s", r.status, r.raw)
	}
}

// QBO answers an operation it does not have with "Unsupported Operation",
// and a body that is not JSON with 2010.
func TestUnsupportedOperationsAndMalformedBodies(t *testing.T) {
	s := newSim(t, "")
	wantFault(t, s.api(http.MethodGet, "vendor/1", nil), http.StatusBadRequest, "500")
	wantFault(t, s.api(http.MethodPost, "taxcode", map[string]any{"Name": "X"}), http.StatusBadRequest, "500")
	wantFault(t, s.api(http.MethodPost, "invoice", "{not json"), http.StatusBadRequest, "2010")
}
