package qbosim_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
)

// Conformance mode runs the rule tests (rules_test.go and the others that
// start with newRuleSim) against a real Intuit sandbox company instead of
// the simulator, so anyone can confirm that the simulator answers as Intuit
// does. It is on when all four variables are set:
//
//	QBO_CONFORMANCE_CLIENT_ID, QBO_CONFORMANCE_CLIENT_SECRET,
//	QBO_CONFORMANCE_REFRESH_TOKEN, QBO_CONFORMANCE_REALM_ID
//
//	go test -count=1 -run 'Rule|Conformance' ./internal/qbosim/
//
// The tests write uniquely named records into the sandbox company and
// make them inactive again where QuickBooks allows; checks that need the
// control surface (injected faults, the clock) are skipped there.
var conformanceVars = []string{"QBO_CONFORMANCE_CLIENT_ID", "QBO_CONFORMANCE_CLIENT_SECRET",
	"QBO_CONFORMANCE_REFRESH_TOKEN", "QBO_CONFORMANCE_REALM_ID"}

// Intuit's sandbox endpoints (REFERENCE §1).
const (
	intuitTokenURL   = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
	intuitSandboxAPI = "https://sandbox-quickbooks.api.intuit.com"
)

// conformance returns the sandbox credentials, or ok false with what is
// missing.
func conformance() (vals map[string]string, missing []string) {
	vals = map[string]string{}
	for _, k := range conformanceVars {
		if v := os.Getenv(k); v != "" {
			vals[k] = v
		} else {
			missing = append(missing, k)
		}
	}
	return vals, missing
}

// TestConformanceMode reports whether the rule tests ran against Intuit.
// Without credentials it is skipped with the way to turn it on; with only
// some of them it fails rather than silently testing the simulator.
func TestConformanceMode(t *testing.T) {
	vals, missing := conformance()
	switch {
	case len(vals) == 0:
		t.Skipf("conformance mode off: the rule tests ran against the simulator; set %s to run them against an Intuit sandbox company",
			strings.Join(conformanceVars, ", "))
	case len(missing) > 0:
		t.Fatalf("conformance mode needs all of %s; missing %s", strings.Join(conformanceVars, ", "), strings.Join(missing, ", "))
	}
	s := newRuleSim(t)
	if r := s.api(http.MethodGet, "companyinfo/"+s.co.RealmID, nil); r.status != http.StatusOK {
		t.Fatalf("companyinfo from Intuit: %d %s", r.status, r.raw)
	}
}

// newRuleSim is the QuickBooks a rule test runs against: a US company on
// the simulator, or the Intuit sandbox company in conformance mode.
func newRuleSim(t *testing.T) *sim {
	t.Helper()
	vals, missing := conformance()
	if len(vals) == 0 {
		return newSim(t, "", unlimited)
	}
	if len(missing) > 0 {
		t.Fatalf("conformance mode needs %s", strings.Join(missing, ", "))
	}
	access := intuitAccessToken(t, vals)
	return &sim{t: t, url: intuitSandboxAPI, intuit: true,
		co: qbosimtest.Company{RealmID: vals["QBO_CONFORMANCE_REALM_ID"], AccessToken: access}}
}

// intuitAccessToken refreshes the sandbox grant. Intuit rotates the
// refresh token about once a day and the old one then stops working: the
// new value is written to the file QBO_CONFORMANCE_REFRESH_TOKEN_OUT names
// (never to the test log).
func intuitAccessToken(t *testing.T, vals map[string]string) string {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {vals["QBO_CONFORMANCE_REFRESH_TOKEN"]}}
	req, _ := http.NewRequest(http.MethodPost, intuitTokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(vals["QBO_CONFORMANCE_CLIENT_ID"], vals["QBO_CONFORMANCE_CLIENT_SECRET"])
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("refresh at Intuit: %v", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("refresh at Intuit: status %d, error %q, %v", res.StatusCode, tok.Error, err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != vals["QBO_CONFORMANCE_REFRESH_TOKEN"] {
		out := os.Getenv("QBO_CONFORMANCE_REFRESH_TOKEN_OUT")
		if out == "" {
			t.Log("Intuit rotated the refresh token; set QBO_CONFORMANCE_REFRESH_TOKEN_OUT to keep the new one")
		} else if err := os.WriteFile(out, []byte(tok.RefreshToken), 0o600); err != nil {
			t.Errorf("save the rotated refresh token: %v", err)
		}
	}
	return tok.AccessToken
}

// needsControl skips a check that needs the simulator's control surface.
func (s *sim) needsControl(t testing.TB) {
	t.Helper()
	if s.intuit {
		t.Skip("needs the simulator's control surface; not available against Intuit")
	}
}

// unique returns prefix with a random suffix, so conformance runs never
// collide with names an earlier run left in the sandbox company.
func unique(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return prefix + " " + hex.EncodeToString(b[:])
}
