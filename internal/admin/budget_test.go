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

// The admin's QuickBooks calls are admitted against the company's
// schedule like the sync's: while the sync holds every in-flight slot, a
// customer search is answered 503 with Retry-After instead of pushing
// QuickBooks past Intuit's limit (where a 429 would pause the sync for a
// minute).
func TestSearchSharesTheCompanysRequestBudget(t *testing.T) {
	e := admintest.Start(t)
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

	// Ten sync functions hold every slot of the company.
	ctx := context.Background()
	p := throttle.DefaultPolicy()
	var held []throttle.Grant
	at := time.Now()
	for len(held) < p.Slots {
		g, refused, err := e.Stack.Store().Admit(ctx, acme.Realm, p, 1, at)
		if err != nil {
			t.Fatal(err)
		}
		if refused != nil {
			// The schedule paces grants: ask again at the time it names
			// (rounded up to the milliseconds it plans in), and move the
			// stack's clock there below instead of waiting on the wall's.
			at = refused.RetryAt.Add(time.Millisecond - 1).Truncate(time.Millisecond)
			continue
		}
		held = append(held, g)
	}
	if err := e.Stack.Advance(time.Until(at)); err != nil {
		t.Fatal(err)
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
		t.Errorf("Retry-After = %q, want a few seconds", resp.Header.Get("Retry-After"))
	}
	if n := e.Stack.Counts().QBO["POST query"]; n != queries {
		t.Errorf("QuickBooks saw %d queries, want %d: the refused search must not be sent", n, queries)
	}

	for _, g := range held {
		if err := e.Stack.Store().Release(ctx, acme.Realm, g, 0); err != nil {
			t.Fatal(err)
		}
	}
	if status, body := admintest.Request(t, http.MethodGet, search, tok, nil); status != http.StatusOK {
		t.Errorf("search once the slots are free: %d %s", status, body)
	}
}
