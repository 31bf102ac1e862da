package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/throttle"
)

// The admin's QuickBooks calls spend the company's request budget like
// the sync's: once the sync has used up the minute's budget, a customer
// search is answered 503 with Retry-After instead of pushing QuickBooks
// past Intuit's limit (where a 429 would pause the sync for a minute).
func TestSearchSharesTheCompanysRequestBudget(t *testing.T) {
	e := admintest.Start(t)
	// Everything below happens within one minute of the budget: a request
	// whose minute ends within a few seconds waits for the next one
	// instead of failing.
	if s := time.Now().Second(); s > 40 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	e.Stack.ResetCounts()
	acme := e.NewTenant(t, "acme", true) // the connect's readiness check reads the company
	tok := e.Token(t, "acme", "ann@acme.example")
	search := e.URL + "/api/v1/tenants/acme/qbo/customers?search=globex"
	queries := e.Stack.Counts().QBO["POST query"]
	if status, body := admintest.Request(t, http.MethodGet, search, tok, nil); status != http.StatusOK {
		t.Fatalf("search with budget left: %d %s", status, body)
	}
	if n := e.Stack.Counts().QBO["POST query"] - queries; n != 1 {
		t.Fatalf("search sent %d queries to QuickBooks, want 1", n)
	}
	queries++

	// The sync spends the rest of this minute's budget.
	ctx := context.Background()
	spent := accountingCalls(e.Stack.Counts().QBO)
	for {
		ok, _, err := e.Stack.Store().TakeRequest(ctx, acme.Realm, throttle.DefaultRequestsPerMinute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		spent++
	}
	if spent != throttle.DefaultRequestsPerMinute {
		t.Fatalf("the minute's budget held %d requests with the readiness check's and the search's, want %d",
			spent, throttle.DefaultRequestsPerMinute)
	}

	req, _ := http.NewRequest(http.MethodGet, search, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct{ Error, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || answer.Error != "quickbooks_busy" ||
		!strings.Contains(answer.Message, "request limit for this company") {
		t.Errorf("search with the budget spent: %d %+v, want 503 quickbooks_busy", resp.StatusCode, answer)
	}
	if after, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || after < 1 || after > 60 {
		t.Errorf("Retry-After = %q, want the seconds to the next minute", resp.Header.Get("Retry-After"))
	}
	if n := e.Stack.Counts().QBO["POST query"]; n != queries {
		t.Errorf("QuickBooks saw %d queries, want %d: the refused search must not be sent", n, queries)
	}
}

// accountingCalls counts the Accounting API calls among QBO requests
// (those not to Intuit's OAuth endpoints).
func accountingCalls(byRoute map[string]int) int {
	n := 0
	for route, c := range byRoute {
		if !strings.Contains(route, "/oauth2/") {
			n += c
		}
	}
	return n
}
