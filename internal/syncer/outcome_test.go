package syncer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/throttle"
)

func fault(status int, code, msg, detail string) *qbo.Error {
	return &qbo.Error{Status: status, Code: code, Message: msg, Detail: detail,
		Faults: []qbo.Fault{{Code: code, Message: msg, Detail: detail}}}
}

// Every failure a sync meets, and what becomes of it: only our own
// infrastructure failing goes back to the queue (and could ever reach a
// dead-letter queue); what clears by itself waits; what needs an admin is
// shown with QuickBooks' words.
var (
	classifyNow  = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	classifyRest = time.Minute
	netErr       = &qbo.Error{Op: "create Invoice", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	// businessFault is a 6000 refusal; whether it is an over-application
	// is read from the documents' amounts (overapplied.go), not its words.
	businessFault = fault(400, "6000", "A business validation error has occurred", "Select a bank account for this deposit")
)

type classifyCase struct {
	name    string
	err     error
	attempt int
	action  action
	until   time.Duration // from now; 0: not a wait
	rest    bool
	shown   string // part of the entity's warning; "" none
}

var classifyCases = []classifyCase{
	{"over the company's budget", &throttle.Error{Realm: "1", Until: classifyNow.Add(7 * time.Second)}, 1, wait, 7 * time.Second, false, ""},
	{"admission refused, wrapped by the client", &qbo.Error{Op: "query", Err: &throttle.Error{Realm: "1", Until: classifyNow.Add(time.Second)}}, 9, wait, time.Second, false, ""},
	{"429", fault(429, "3001", "ThrottleExceeded", ""), 1, wait, classifyRest, false, ""},
	{"3001 with 403", fault(403, "3001", "ThrottleExceeded", "Request rate exceeded"), 1, wait, classifyRest, true, ""},
	{"503 first time", fault(503, "", "Service Unavailable", ""), 1, wait, 2 * time.Second, false, ""},
	{"503 third time", fault(503, "", "Service Unavailable", ""), 3, wait, 8 * time.Second, false, "tried 3 times, retried automatically at 09:00:08 UTC"},
	{"network, long outage", netErr, 20, wait, 5 * time.Minute, false, "retried automatically"},
	{"token refused twice", fault(401, "3200", "AuthenticationFailed", ""), 1, wait, 2 * time.Second, false, ""},
	{"stale SyncToken", fault(400, "5010", "Stale Object Error", "You and stale are working on the same object"), 2, wait, 4 * time.Second, false, "Stale Object Error"},
	{"over-applied", &overAppliedError{businessFault}, 1, wait, 2 * time.Second, false, "business validation"},
	{"over-applied, long", &overAppliedError{businessFault}, 9, wait, 30 * time.Second, false, "business validation"},
	{"other business rule", businessFault, 1, warn, 0, false, "Select a bank account"},
	{"business rule the balances do not explain", &unexplainedError{businessFault}, 1, wait, 2 * time.Second, false, "Select a bank account"},
	{"business rule the balances never explain", &unexplainedError{businessFault}, 5, warn, 0, false, "Select a bank account"},
	{"validation", fault(400, "6240", "Duplicate Name Exists Error", "The name supplied already exists."), 1, warn, 0, false, "Duplicate Name Exists Error"},
	{"mapping", &PermanentError{Reason: "Currency mismatch: this invoice is in EUR"}, 1, warn, 0, false, "Currency mismatch"},
	{"token endpoint down", &unavailableError{what: "the QuickBooks access token could not be refreshed", err: errors.New("503")}, 4, wait, 16 * time.Second, false, "could not be refreshed"},
	{"link written concurrently", fmt.Errorf("save link: %w", record.ErrConflict), 1, wait, time.Second, false, ""},
	{"invocation cut short", &qbo.Error{Op: "create Invoice", Err: context.Canceled}, 1, requeue, 0, false, ""},
	{"unreadable answer", &qbo.Error{Op: "create Invoice", Err: fmt.Errorf("%w: unexpected end of JSON input", qbo.ErrMalformedResponse)}, 3, wait, 8 * time.Second, false, "could not be read"},
	{"request not built", &qbo.Error{Op: "create Invoice", Err: fmt.Errorf("%w: requestid longer than 50 characters", qbo.ErrInvalidRequest)}, 1, warn, 0, false, "requestid longer"},
	{"not connected", fmt.Errorf("token: %w", record.ErrNotConnected), 1, park, 0, false, "not connected"},
	{"reconnect needed", record.ErrReconnect, 1, park, 0, false, "needs to be reconnected"},
	{"DynamoDB down", errors.New("dynamodb: RequestError: send request failed"), 1, requeue, 0, false, ""},
	// The payment a refund converged at once could not be deferred: its
	// 5010 was classified for the payment already and is not read again
	// as the refund's.
	{"nested sync could not be deferred", &nestedError{ref: billing.Ref{Kind: billing.KindPayment, ID: "pay_1"},
		err: fmt.Errorf("sync payment/pay_1: %w (and could not defer: sqs down)", fault(400, "5010", "Stale Object Error", ""))}, 1, requeue, 0, false, ""},
}

func TestClassify(t *testing.T) {
	now, rest := classifyNow, classifyRest
	for _, c := range classifyCases {
		t.Run(c.name, func(t *testing.T) {
			d := classify(c.err, c.attempt, now, rest)
			if d.action != c.action {
				t.Fatalf("action %v, want %v", d.action, c.action)
			}
			if c.action == wait && !d.until.Equal(now.Add(c.until)) {
				t.Errorf("resumed at +%v, want +%v", d.until.Sub(now), c.until)
			}
			if d.rest != c.rest {
				t.Errorf("rest the company = %v, want %v", d.rest, c.rest)
			}
			switch {
			case c.shown == "" && d.warning != nil:
				t.Errorf("warning %+v, want none", d.warning)
			case c.shown != "" && (d.warning == nil || !strings.Contains(d.warning.Message+" "+d.warning.Detail, c.shown)):
				t.Errorf("warning %+v, want it to say %q", d.warning, c.shown)
			case (c.action == wait || c.action == park) && d.warning != nil && !d.warning.Retryable:
				t.Errorf("a wait's warning must say it is retried automatically: %+v", d.warning)
			}
		})
	}
}

// TestRemedies: the decisions taken inside an attempt, before a failure
// is classified: what is tried again at once, and when a create certainly
// created nothing (its requestid may be dropped).
func TestRemedies(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		remedy  remedy
		nothing bool // refusedOrUnsent of a first send
		resumed bool // refusedOrUnsent of a resumed intent's send
	}{
		{"token refused", fault(401, "3200", "AuthenticationFailed", ""), refreshToken, false, false},
		{"over-applied", &overAppliedError{businessFault}, releaseApplications, true, true},
		{"refused, balances since freed", &unexplainedError{businessFault}, writeAgain, true, true},
		{"validation", fault(400, "6240", "Duplicate Name Exists Error", ""), noRemedy, true, true},
		{"stale", fault(400, "5010", "Stale Object Error", "stale object"), noRemedy, true, true},
		{"mapping", &PermanentError{Reason: "bad"}, noRemedy, true, false},
		{"turned away by the schedule", &qbo.Error{Op: "create Invoice", Err: &throttle.Error{Realm: "1", Until: classifyNow}}, noRemedy, true, false},
		{"429", fault(429, "3001", "ThrottleExceeded", ""), noRemedy, false, false},
		{"503", fault(503, "", "Service Unavailable", ""), noRemedy, false, false},
		{"no answer", netErr, noRemedy, false, false},
		{"canceled in flight", &qbo.Error{Op: "create Invoice", Err: context.Canceled}, noRemedy, false, false},
		{"unreadable answer", &qbo.Error{Op: "create Invoice", Err: qbo.ErrMalformedResponse}, noRemedy, false, false},
		{"request not built", &qbo.Error{Op: "create Invoice", Err: qbo.ErrInvalidRequest}, noRemedy, true, false},
		{"DynamoDB down", errors.New("dynamodb: RequestError"), noRemedy, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := remedyFor(tt.err); got != tt.remedy {
				t.Errorf("remedy = %d, want %d", got, tt.remedy)
			}
			if got := refusedOrUnsent(tt.err, false); got != tt.nothing {
				t.Errorf("first send created nothing = %v, want %v", got, tt.nothing)
			}
			if got := refusedOrUnsent(tt.err, true); got != tt.resumed {
				t.Errorf("resumed send: earlier send created nothing = %v, want %v", got, tt.resumed)
			}
		})
	}
}

func TestBackoffDoublesToFiveMinutes(t *testing.T) {
	want := []time.Duration{2, 4, 8, 16, 32, 64, 128, 256, 300, 300}
	for i, w := range want {
		if got := backoff(i + 1); got != w*time.Second {
			t.Errorf("attempt %d waits %v, want %v", i+1, got, w*time.Second)
		}
	}
}

// docs/mapping.md's retry table has one row per case above, saying the
// same action, so the documentation cannot drift from the code.
func TestRetryTableMatchesClassify(t *testing.T) {
	doc, err := os.ReadFile("../../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(doc), "## Retries")
	rows := map[string][2]string{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.HasPrefix(strings.TrimSpace(cells[1]), "-") || strings.TrimSpace(cells[1]) == "case" {
			continue
		}
		rows[strings.TrimSpace(cells[1])] = [2]string{strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3])}
	}
	for _, c := range classifyCases {
		row, ok := rows[c.name]
		if !ok {
			t.Errorf("docs/mapping.md has no retry row %q", c.name)
			continue
		}
		if what := row[0]; !strings.HasPrefix(what, c.action.String()) {
			t.Errorf("docs/mapping.md says %q for %q, the code does %s", what, c.name, c.action)
		}
		receive := map[bool]string{true: "spent", false: "none"}[c.action.spendsReceive()]
		if row[1] != receive {
			t.Errorf("docs/mapping.md says receive %q for %q, the code: %s", row[1], c.name, receive)
		}
		delete(rows, c.name)
	}
	for name := range rows {
		t.Errorf("docs/mapping.md's retry row %q is no case of the classification", name)
	}
}

// Every queue the sync reads dead-letters a message after the receives
// the classifier's table is written for, and the docs say that number.
func TestDeadLetterRuleMatchesTheTemplate(t *testing.T) {
	tmpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	counts := regexp.MustCompile(`maxReceiveCount: *(\d+)`).FindAllStringSubmatch(string(tmpl), -1)
	if policies := strings.Count(string(tmpl), "RedrivePolicy:"); len(counts) != policies || policies == 0 {
		t.Fatalf("%d maxReceiveCount for %d redrive policies, want one each", len(counts), policies)
	}
	for _, c := range counts {
		if c[1] != strconv.Itoa(deadLetterAfter) {
			t.Errorf("template.yaml: maxReceiveCount %s, the classifier counts on %d", c[1], deadLetterAfter)
		}
	}
	doc, err := os.ReadFile("../../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	prose := strings.Join(strings.Fields(string(doc)), " ")
	if want := fmt.Sprintf("after %d failed receives", deadLetterAfter); !strings.Contains(prose, want) {
		t.Errorf("docs/mapping.md does not say %q", want)
	}
}

// Throttling, outages and refusals never spend a receive: only our own
// infrastructure failing can end in a dead-letter queue.
func TestOnlyRequeueSpendsAReceive(t *testing.T) {
	throttled := []error{&throttle.Error{Realm: "1", Until: classifyNow}, fault(429, "3001", "ThrottleExceeded", ""),
		fault(403, "3001", "ThrottleExceeded", ""), fault(503, "", "Service Unavailable", "")}
	for _, err := range throttled {
		if d := classify(err, deadLetterAfter+1, classifyNow, classifyRest); d.action.spendsReceive() {
			t.Errorf("%v after %d attempts spends a receive (%s), want a wait", err, deadLetterAfter+1, d.action)
		}
	}
}
