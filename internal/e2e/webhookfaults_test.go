package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// TestInvalidUTF8BodyIsRefusedAsSuch: a correctly signed body that is not
// UTF-8 gets 400 saying so, not a signature failure.
func TestInvalidUTF8BodyIsRefusedAsSuch(t *testing.T) {
	s := newStack(t, devstack.Options{})
	if err := s.CreateTenant(context.Background(), "acme", "whsec_acme"); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"evt_1","type":"customer.created","occurred_at":"2026-01-01T00:00:00Z","data":{"id":"cus_1","version":1,"display_name":"Caf` +
		"\xe9" + `","currency":"USD"}}`)
	status, answer, err := s.PostEvent(context.Background(), "acme", []byte("whsec_acme"), body)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusBadRequest || !strings.Contains(string(answer), "UTF-8") {
		t.Fatalf("signed body with invalid UTF-8: %d %s, want 400 naming UTF-8", status, answer)
	}
}

// TestWebhookAnswers503WhenAStoreHangs: DynamoDB or SQS that stops
// answering gets the documented 503 before the function's own timeout,
// not the platform's 500; once they answer, the retry lands. The
// function is given 3 s instead of the template's 10 s: the rule under
// test is the margin the handler keeps before its deadline, whatever
// that deadline is.
func TestWebhookAnswers503WhenAStoreHangs(t *testing.T) {
	const timeout = 3 * time.Second
	s := newStack(t, devstack.Options{Timeouts: map[string]time.Duration{"WebhookFunction": timeout}})
	e := newTenant(t, s, "acme")
	for name, hang := range map[string]func(bool){"DynamoDB": s.HangDynamoDB, "SQS": s.HangSQS} {
		hang(true)
		start := time.Now()
		status, out := e.post("evt_hang_"+name, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
		took := time.Since(start)
		hang(false)
		t.Logf("%s hanging: %d after %s", name, status, took.Round(time.Millisecond))
		if status != http.StatusServiceUnavailable || out["error"] != "unavailable" {
			t.Errorf("%s hanging: %d %v after %s, want 503 unavailable", name, status, out, took)
		}
		if took >= timeout {
			t.Errorf("%s hanging: answered after %s, want within the function's %s", name, took, timeout)
		}
	}
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Acme Corp", "ap@acme.example"))
	e.drain()
	if st := e.status(billing.KindCustomer, "cus_1"); st != "synced" {
		t.Errorf("cus_1 after the stores answer again: %s", st)
	}
}
