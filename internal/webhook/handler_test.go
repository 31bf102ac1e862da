package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

var (
	secretA = []byte("whsec_tenant_demo_current")
	secretB = []byte("whsec_tenant_demo_next")
)

type env struct {
	h       *Handler
	secrets *fakeSecrets
	store   *recordingStore
	queue   *fakeQueue
	logs    *bytes.Buffer
	now     time.Time
}

func newEnv() *env {
	e := &env{
		secrets: &fakeSecrets{byTenant: map[string][][]byte{demoTenant: {secretA}, "other": {[]byte("whsec_other")}}},
		queue:   &fakeQueue{},
		logs:    &bytes.Buffer{},
		now:     time.Now().Truncate(time.Second),
	}
	e.store = newRecordingStore(func() time.Time { return e.now })
	e.h = New(Deps{Secrets: e.secrets, Store: e.store, Queue: e.queue, Now: func() time.Time { return e.now },
		Log: slog.New(slog.NewJSONHandler(e.logs, nil))})
	return e
}

func (e *env) post(t *testing.T, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	res, err := e.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned error %v; every outcome must be an HTTP answer", err)
	}
	if ct := res.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return res
}

func (e *env) fixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	return loadFixture(t, name, secretA, e.now)
}

func expect(t *testing.T, res events.APIGatewayV2HTTPResponse, status int, body string) {
	t.Helper()
	if res.StatusCode != status || res.Body != body {
		t.Errorf("answer = %d %s\nwant     %d %s", res.StatusCode, res.Body, status, body)
	}
}

// dataOf returns the "data" object of a request body, as sent.
func dataOf(t *testing.T, req events.APIGatewayV2HTTPRequest) json.RawMessage {
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(rawBody(t, req), &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

func TestAccepted(t *testing.T) {
	e := newEnv()
	req := e.fixture(t, "invoice-created.json")
	expect(t, e.post(t, req), 202, `{"event_id":"evt_demo_0004","status":"accepted"}`)

	want := []store.Snapshot{{
		Tenant: demoTenant, Kind: billing.KindInvoice, ID: "inv_1001", Version: 1, CustomerID: "cus_1001",
		Action: "created", EventID: "evt_demo_0004", OccurredAt: time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC),
		ReceivedAt: e.now, Data: dataOf(t, req),
	}}
	if diff := cmp.Diff(want, e.store.puts); diff != "" {
		t.Errorf("stored snapshots (-want +got):\n%s", diff)
	}
	wantMsg := []queue.Message{{Tenant: demoTenant, Kind: billing.KindInvoice, ID: "inv_1001", CustomerID: "cus_1001",
		Version: 1, EventID: "evt_demo_0004", Reason: "webhook",
		Parents: []string{"customer/cus_1001", "product/prod_basic", "product/prod_addon"}}}
	if diff := cmp.Diff(wantMsg, e.queue.msgs); diff != "" {
		t.Errorf("queued messages (-want +got):\n%s", diff)
	}
	wantRec := []recorded{{demoTenant, "evt_demo_0004", e.now.Add(7 * 24 * time.Hour)}}
	if diff := cmp.Diff(wantRec, e.store.recorded, cmp.AllowUnexported(recorded{})); diff != "" {
		t.Errorf("recorded events (-want +got):\n%s", diff)
	}
}

func TestAcceptedKinds(t *testing.T) {
	tests := []struct {
		fixture  string
		status   int
		kind     billing.Kind
		id       string
		customer string
	}{
		{"customer-created.json", 202, billing.KindCustomer, "cus_1001", "cus_1001"},
		{"payment-created.json", 202, billing.KindPayment, "pay_1001", "cus_1001"},
		{"invoice-created-base64.json", 202, billing.KindInvoice, "inv_1001", "cus_1001"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			e := newEnv()
			req := e.fixture(t, tt.fixture)
			if res := e.post(t, req); res.StatusCode != tt.status {
				t.Fatalf("status %d %s", res.StatusCode, res.Body)
			}
			if len(e.queue.msgs) != 1 || e.queue.msgs[0].Kind != tt.kind || e.queue.msgs[0].ID != tt.id || e.queue.msgs[0].CustomerID != tt.customer {
				t.Errorf("messages = %+v", e.queue.msgs)
			}
			if len(e.store.puts) != 1 || !bytes.Equal(e.store.puts[0].Data, dataOf(t, req)) {
				t.Errorf("stored data differs from the data sent")
			}
		})
	}
}

func TestCustomTTL(t *testing.T) {
	e := newEnv()
	e.h = New(Deps{Secrets: e.secrets, Store: e.store, Queue: e.queue, Now: func() time.Time { return e.now }, EventTTL: time.Hour,
		Log: slog.New(slog.NewJSONHandler(e.logs, nil))})
	e.post(t, e.fixture(t, "customer-created.json"))
	if len(e.store.recorded) != 1 || !e.store.recorded[0].expires.Equal(e.now.Add(time.Hour)) {
		t.Errorf("recorded = %+v, want expiry in one hour", e.store.recorded)
	}
}

func TestDuplicate(t *testing.T) {
	e := newEnv()
	expect(t, e.post(t, e.fixture(t, "invoice-created.json")), 202, `{"event_id":"evt_demo_0004","status":"accepted"}`)
	e.now = e.now.Add(time.Minute) // a retry, signed again
	expect(t, e.post(t, e.fixture(t, "invoice-created.json")), 200, `{"event_id":"evt_demo_0004","status":"duplicate"}`)
	if len(e.store.puts) != 1 || len(e.queue.msgs) != 1 || len(e.store.recorded) != 1 {
		t.Errorf("after a duplicate: %d puts, %d messages, %d records; want 1 each", len(e.store.puts), len(e.queue.msgs), len(e.store.recorded))
	}
}

// resend posts a sample as a new event with the given id and version.
func resend(t *testing.T, e *env, fixture, eventID string, version int) events.APIGatewayV2HTTPResponse {
	req := e.fixture(t, fixture)
	var m map[string]any
	if err := json.Unmarshal([]byte(req.Body), &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = eventID
	m["data"].(map[string]any)["version"] = version
	b, _ := json.Marshal(m)
	req.Body = string(b)
	req.Headers["billing-signature"] = billing.Sign(secretA, e.now, b)
	return e.post(t, req)
}

func TestStale(t *testing.T) {
	e := newEnv()
	expect(t, resend(t, e, "invoice-created.json", "evt_v3", 3), 202, `{"event_id":"evt_v3","status":"accepted"}`)
	expect(t, resend(t, e, "invoice-created.json", "evt_v2", 2), 200, `{"event_id":"evt_v2","status":"stale"}`)
	if got, err := e.store.Entity(context.Background(), "demo", billing.KindInvoice, "inv_1001"); err != nil || got.Version != 3 {
		t.Errorf("stored version = %d (%v), want 3", got.Version, err)
	}
	if len(e.queue.msgs) != 1 {
		t.Errorf("messages = %d, want 1 (nothing queued for a stale event)", len(e.queue.msgs))
	}
	if !e.store.seen(t, "demo", "evt_v2") {
		t.Error("stale event id not recorded")
	}
	// Its retry is then a duplicate.
	expect(t, resend(t, e, "invoice-created.json", "evt_v2", 2), 200, `{"event_id":"evt_v2","status":"duplicate"}`)
	// The same version under a new event id is accepted again.
	expect(t, resend(t, e, "invoice-created.json", "evt_v3_again", 3), 202, `{"event_id":"evt_v3_again","status":"accepted"}`)
	if len(e.queue.msgs) != 2 {
		t.Errorf("messages = %d, want 2", len(e.queue.msgs))
	}
}

func TestInvalidEvent(t *testing.T) {
	e := newEnv()
	res := e.post(t, e.fixture(t, "invoice-invalid.json"))
	want := `{"error":"invalid_event","details":[` +
		`{"field":"data.customer_id","problem":"is required"},` +
		`{"field":"data.currency","problem":"must be an active ISO 4217 currency code in upper case, like USD"},` +
		`{"field":"data.lines[0].unit_amount","problem":"must be an integer number of minor units (1999 for 19.99), not a decimal or exponent number"},` +
		`{"field":"data.total","problem":"must be subtotal - discount_total + tax_total = 8937, not 9000"}]}`
	expect(t, res, 400, want)
	if len(e.store.puts)+len(e.queue.msgs)+len(e.store.recorded) != 0 {
		t.Error("an invalid event left traces in the store or queue")
	}
}

func TestUnauthorized(t *testing.T) {
	const body401 = `{"error":"invalid_signature"}`
	tests := []struct {
		name  string
		setup func(e *env, req *events.APIGatewayV2HTTPRequest)
	}{
		{"signed with another secret", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.Headers["billing-signature"] = billing.Sign([]byte("whsec_other"), e.now, []byte(req.Body))
		}},
		{"unknown tenant", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.PathParameters["tenant"] = "nobody"
		}},
		{"another tenant's path", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.PathParameters["tenant"] = "other"
		}},
		{"malformed tenant", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.PathParameters["tenant"] = "Demo Tenant"
		}},
		{"no tenant", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.PathParameters = nil
		}},
		{"expired t", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.Headers["billing-signature"] = billing.Sign(secretA, e.now.Add(-301*time.Second), []byte(req.Body))
		}},
		{"t in the future", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.Headers["billing-signature"] = billing.Sign(secretA, e.now.Add(301*time.Second), []byte(req.Body))
		}},
		{"no signature", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			delete(req.Headers, "billing-signature")
		}},
		{"body changed after signing", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			req.Body = strings.Replace(req.Body, "4900", "4800", 1)
		}},
		{"tenant has no secrets", func(e *env, req *events.APIGatewayV2HTTPRequest) {
			e.secrets.byTenant[demoTenant] = nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			req := e.fixture(t, "invoice-created.json")
			tt.setup(e, &req)
			expect(t, e.post(t, req), 401, body401)
			if len(e.store.puts)+len(e.queue.msgs)+len(e.store.recorded) != 0 {
				t.Error("an unauthenticated request left traces")
			}
		})
	}
}

func TestRotation(t *testing.T) {
	e := newEnv()
	e.secrets.byTenant[demoTenant] = [][]byte{secretA, secretB}
	expect(t, e.post(t, loadFixture(t, "customer-created.json", secretA, e.now)), 202, `{"event_id":"evt_demo_0001","status":"accepted"}`)
	expect(t, e.post(t, loadFixture(t, "invoice-created.json", secretB, e.now)), 202, `{"event_id":"evt_demo_0004","status":"accepted"}`)
	e.secrets.byTenant[demoTenant] = [][]byte{secretB} // rotation done: the old secret is gone
	expect(t, e.post(t, loadFixture(t, "payment-created.json", secretA, e.now)), 401, `{"error":"invalid_signature"}`)
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		fault    func(e *env)
		wantPuts int
	}{
		{"secrets", func(e *env) { e.secrets.err = errDown }, 0},
		{"event lookup", func(e *env) { e.store.seenErr = errDown }, 0},
		{"snapshot write", func(e *env) { e.store.putErr = errDown }, 0},
		{"queue", func(e *env) { e.queue.err = errDown }, 1},
		{"event record", func(e *env) { e.store.recordErr = errDown }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			tt.fault(e)
			expect(t, e.post(t, e.fixture(t, "invoice-created.json")), 503, `{"error":"unavailable"}`)
			if len(e.store.recorded) != 0 || e.store.seen(t, "demo", "evt_demo_0004") {
				t.Error("event recorded as seen although the answer was 503")
			}
			if len(e.store.puts) != tt.wantPuts {
				t.Errorf("puts = %d, want %d", len(e.store.puts), tt.wantPuts)
			}
			logs := e.logs.String()
			for _, want := range []string{`"level":"ERROR"`, `"status":503`, `"tenant":"demo"`, errDown.Error()} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %s:\n%s", want, logs)
				}
			}
			if tt.name != "secrets" && !strings.Contains(logs, `"event_id":"evt_demo_0004"`) {
				t.Errorf("log lacks the event id:\n%s", logs)
			}

			// The sender retries once the fault is gone, and the work is done.
			e.secrets.err, e.store.seenErr, e.store.putErr, e.store.recordErr, e.queue.err = nil, nil, nil, nil, nil
			expect(t, e.post(t, e.fixture(t, "invoice-created.json")), 202, `{"event_id":"evt_demo_0004","status":"accepted"}`)
			if len(e.store.recorded) != 1 || len(e.queue.msgs) == 0 {
				t.Fatalf("after the retry: %d messages, %d records; want 1 record", len(e.queue.msgs), len(e.store.recorded))
			}
			// A message sent before the failure is sent again; the FIFO
			// queue drops the copy because it has the same deduplication id.
			for _, m := range e.queue.msgs {
				if m.DedupID() != e.queue.msgs[0].DedupID() {
					t.Errorf("messages differ in deduplication id: %+v", e.queue.msgs)
				}
			}
		})
	}
}

// TestLogsHoldNoSecrets: neither bodies nor secrets nor signatures reach
// the logs, whatever the outcome.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv()
	reqs := []events.APIGatewayV2HTTPRequest{
		e.fixture(t, "invoice-created.json"),
		e.fixture(t, "invoice-created.json"),
		e.fixture(t, "invoice-invalid.json"),
		e.fixture(t, "customer-text-plain.json"),
		loadFixture(t, "customer-created.json", []byte("wrong"), e.now),
	}
	for _, r := range reqs {
		e.post(t, r)
	}
	e.queue.err = errDown
	e.post(t, e.fixture(t, "payment-created.json"))
	logs := e.logs.String()
	for _, r := range reqs {
		if sig := r.Headers["billing-signature"]; strings.Contains(logs, sig[strings.Index(sig, "v1=")+3:]) {
			t.Error("a signature is in the logs")
		}
	}
	for _, secret := range []string{string(secretA), "whsec_other", "Acme Corp", "Thank you for your business", "billing@acme.example"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	if n := strings.Count(logs, "\n"); n != len(reqs)+1 {
		t.Errorf("%d log lines, want one per request:\n%s", n, logs)
	}
}

type fakeSettings struct{ direction string }

func (f fakeSettings) Tenant(_ context.Context, id string) (store.Tenant, error) {
	return store.Tenant{ID: id, Settings: store.Settings{PaymentsDirection: f.direction}}, nil
}

// While a tenant's payments come from QuickBooks, a billing payment is
// stored and queued (the sync marks it skipped with the reason) and the
// answer says it will not be synced; other kinds are answered as before.
func TestPaymentSkippedWhilePaymentsComeFromQuickBooks(t *testing.T) {
	e := newEnv()
	e.h.tenants = fakeSettings{direction: store.PaymentsFromQuickBooks}
	res := e.post(t, e.fixture(t, "payment-created.json"))
	var got struct{ EventID, Status, Reason string }
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil || res.StatusCode != 202 || got.Status != "skipped" ||
		!strings.Contains(got.Reason, "from_quickbooks") {
		t.Fatalf("answer %d %s, want 202 skipped with the reason", res.StatusCode, res.Body)
	}
	if len(e.store.puts) != 1 || len(e.queue.msgs) != 1 || len(e.store.recorded) != 1 {
		t.Errorf("stored %d, queued %d, recorded %d: want the payment stored, queued and its event recorded",
			len(e.store.puts), len(e.queue.msgs), len(e.store.recorded))
	}
	if res := e.post(t, e.fixture(t, "invoice-created.json")); res.StatusCode != 202 || !strings.Contains(res.Body, `"accepted"`) {
		t.Errorf("invoice: %d %s, want accepted", res.StatusCode, res.Body)
	}
	e = newEnv()
	e.h.tenants = fakeSettings{direction: store.PaymentsToQuickBooks}
	if res := e.post(t, e.fixture(t, "payment-created.json")); !strings.Contains(res.Body, `"accepted"`) {
		t.Errorf("payment in to_quickbooks: %s, want accepted", res.Body)
	}
}
