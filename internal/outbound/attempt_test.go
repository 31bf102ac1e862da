package outbound_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/seal"
)

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := seal.NewLocalKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return seal.New(keys)
}

// receiver is a billing system's endpoint that answers 503 to the first
// fail requests, then 200, remembering every request.
type receiver struct {
	mu   sync.Mutex
	fail int
	got  []request
}

type request struct {
	key, signature string
	body           []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, request{key: req.Header.Get(outbound.IdempotencyHeader), signature: req.Header.Get(billing.SignatureHeader), body: body})
	if len(r.got) <= r.fail {
		http.Error(w, "billing is restarting", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, `{"received":true}`)
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// pump plays Lambda's event source: it hands the outbound queue's
// messages to the deliverer until done reports true or the time is up.
func (e env) pump(t *testing.T, d *outbound.Deliverer, within time.Duration, done func() bool) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s", within)
		}
		res, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &e.queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		var ev events.SQSEvent
		for _, m := range res.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		}
		if len(ev.Records) == 0 {
			continue
		}
		out, err := d.Handle(ctx, ev)
		if err != nil || len(out.BatchItemFailures) > 0 {
			t.Fatalf("handle: %v, failures %v", err, out.BatchItemFailures)
		}
		for _, m := range res.Messages {
			if _, err := stack.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &e.queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func deliverer(s *outbound.Store, b outbound.Backoff) *outbound.Deliverer {
	return &outbound.Deliverer{Store: s, Client: &http.Client{Timeout: 5 * time.Second}, Backoff: b,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func status(t *testing.T, s *outbound.Store, tenant, id string) func() bool {
	return func() bool {
		d, err := s.Delivery(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status != outbound.StatusPending
	}
}

// A receiver that fails twice, then accepts, gets the same event three
// times with one idempotency key and a signature its secret verifies;
// the log shows it delivered after three attempts, with every answer.
func TestDeliveryRetriesUntilTheReceiverAccepts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS).WithSealer(testSealer(t))
	rcv := &receiver{fail: 2}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	_, secret, err := s.SetEndpoint(ctx, "acme", srv.URL+"/qbosync-events")
	if err != nil || secret == nil || secret.Value == "" {
		t.Fatalf("set endpoint: secret %v, %v; want a new secret", secret, err)
	}
	if err := s.Record(ctx, paid("acme", "evt_paid_7")); err != nil {
		t.Fatal(err)
	}
	e.pump(t, deliverer(s, outbound.Backoff{First: time.Second, Max: 2 * time.Second, Attempts: 5}), 30*time.Second,
		status(t, s, "acme", "evt_paid_7"))

	got := rcv.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (two refused, one accepted)", len(got))
	}
	for i, r := range got {
		var body struct {
			ID, Type string
			Data     map[string]string
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if r.key != "evt_paid_7" || body.ID != "evt_paid_7" || body.Type != "quickbooks.invoice.paid" || body.Data["invoice_id"] != "inv_1" {
			t.Errorf("request %d: key %q body %s, want idempotency key and id evt_paid_7", i, r.key, r.body)
		}
		if err := billing.VerifySignature(r.signature, r.body, [][]byte{[]byte(secret.Value)}, time.Now()); err != nil {
			t.Errorf("request %d: signature %q does not verify under the endpoint's secret", i, r.signature)
		}
	}
	d, err := s.Delivery(ctx, "acme", "evt_paid_7")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != outbound.StatusDelivered || d.Attempts != 3 || len(d.Answers) != 3 ||
		d.Answers[0].Status != 503 || d.Answers[0].Body != "billing is restarting\n" || d.Last().Status != 200 || d.Last().Body != `{"received":true}` {
		t.Errorf("delivery = %+v, want delivered after 3 attempts with the answers 503, 503, 200", d)
	}
}

// A receiver that never accepts: the delivery fails after its attempts,
// visible in the log; a redeliver once it is fixed delivers it.
func TestDeliveryFailsThenRedelivers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS).WithSealer(testSealer(t))
	rcv := &receiver{fail: 2}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	if _, _, err := s.SetEndpoint(ctx, "acme", srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, paid("acme", "evt_fail")); err != nil {
		t.Fatal(err)
	}
	d := deliverer(s, outbound.Backoff{First: time.Second, Max: time.Second, Attempts: 2})
	e.pump(t, d, 20*time.Second, status(t, s, "acme", "evt_fail"))
	got, err := s.Delivery(ctx, "acme", "evt_fail")
	if err != nil || got.Status != outbound.StatusFailed || got.Attempts != 2 || got.Last().Status != 503 {
		t.Fatalf("delivery = %+v, %v; want failed after 2 attempts answered 503", got, err)
	}
	if err := s.Redeliver(ctx, "acme", "evt_fail"); err != nil {
		t.Fatal(err)
	}
	e.pump(t, d, 20*time.Second, status(t, s, "acme", "evt_fail"))
	got, _ = s.Delivery(ctx, "acme", "evt_fail")
	if got.Status != outbound.StatusDelivered || len(rcv.requests()) != 3 {
		t.Errorf("after redeliver: %+v with %d requests, want delivered by the third", got, len(rcv.requests()))
	}
	if err := s.Redeliver(ctx, "other", "evt_fail"); !errors.Is(err, outbound.ErrNotFound) {
		t.Errorf("another tenant redelivers: %v, want ErrNotFound", err)
	}
}

// During a rotation deliveries carry a signature under each secret; a
// receiver holding only the old one still verifies them.
func TestRotationSignsWithBothSecrets(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS).WithSealer(testSealer(t))
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	_, old, err := s.SetEndpoint(ctx, "acme", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.AddSecret(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSecret(ctx, "acme"); !errors.Is(err, outbound.ErrTooMany) {
		t.Errorf("third secret: %v, want ErrTooMany", err)
	}
	if err := s.Record(ctx, paid("acme", "evt_rot")); err != nil {
		t.Fatal(err)
	}
	d := deliverer(s, outbound.DefaultBackoff)
	e.pump(t, d, 10*time.Second, status(t, s, "acme", "evt_rot"))
	r := rcv.requests()[0]
	for name, sec := range map[string]string{"old": old.Value, "new": next.Value} {
		if err := billing.VerifySignature(r.signature, r.body, [][]byte{[]byte(sec)}, time.Now()); err != nil {
			t.Errorf("the %s secret does not verify %q", name, r.signature)
		}
	}
	if err := s.RetireSecret(ctx, "acme", old.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireSecret(ctx, "acme", next.ID); !errors.Is(err, outbound.ErrLastSecret) {
		t.Errorf("retire the last secret: %v, want ErrLastSecret", err)
	}
	ep, err := s.Endpoint(ctx, "acme")
	if err != nil || len(ep.Secrets) != 1 || ep.Secrets[0].ID != next.ID {
		t.Errorf("endpoint = %+v, %v; want only the new secret", ep, err)
	}
}

func TestEndpointURLMustBeHTTPS(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://billing.example/hooks": true, "http://127.0.0.1:9000/x": true, "http://[::1]/x": true,
		"http://billing.example/hooks": false, "ftp://billing.example": false, "https://user:pw@billing.example": false, "/relative": false,
	} {
		if err := outbound.CheckURL(raw); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", raw, err, ok)
		}
	}
}

// Without an endpoint nothing is attempted again and again: the delivery
// fails at once with the reason, and a redeliver after the endpoint is
// set delivers it.
func TestDeliveryWithoutEndpointFailsVisibly(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS).WithSealer(testSealer(t))
	if err := s.Record(ctx, paid("acme", "evt_early")); err != nil {
		t.Fatal(err)
	}
	d := deliverer(s, outbound.DefaultBackoff)
	e.pump(t, d, 10*time.Second, status(t, s, "acme", "evt_early"))
	got, err := s.Delivery(ctx, "acme", "evt_early")
	if err != nil || got.Status != outbound.StatusFailed || got.Attempts != 1 || got.Last().Error != "no endpoint for events to billing is set" {
		t.Fatalf("delivery = %+v, %v; want failed after one attempt, saying no endpoint is set", got, err)
	}
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	if _, _, err := s.SetEndpoint(ctx, "acme", srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := s.Redeliver(ctx, "acme", "evt_early"); err != nil {
		t.Fatal(err)
	}
	e.pump(t, d, 10*time.Second, status(t, s, "acme", "evt_early"))
	if got, _ := s.Delivery(ctx, "acme", "evt_early"); got.Status != outbound.StatusDelivered || len(rcv.requests()) != 1 {
		t.Errorf("after the endpoint is set and redelivered: %+v, %d requests", got, len(rcv.requests()))
	}
}

// The log lists the newest first, page by page, and only the tenant's own.
func TestDeliveryLogPages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// Each event is recorded a second after the one before: the log's
	// order is the order of the records' times.
	at := time.Now()
	s := outbound.NewStore(stack.DynamoDB, e.table, stack.SQS, e.queue, func() time.Time {
		at = at.Add(time.Second)
		return at
	})
	for _, id := range []string{"evt_a", "evt_b", "evt_c"} {
		if err := s.Record(ctx, paid("acme", id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Record(ctx, paid("globex", "evt_x")); err != nil {
		t.Fatal(err)
	}
	var ids []string
	cursor, pages := "", 0
	for {
		page, next, err := s.Deliveries(ctx, "acme", "", 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if got := fmt.Sprint(ids); got != "[evt_c evt_b evt_a]" || pages != 2 {
		t.Errorf("log = %s in %d pages, want [evt_c evt_b evt_a] in 2", got, pages)
	}
	if _, _, err := s.Deliveries(ctx, "acme", "", 2, "bm90LWEtY3Vyc29y"); !errors.Is(err, outbound.ErrBadCursor) {
		t.Errorf("a foreign cursor: %v, want ErrBadCursor", err)
	}
}
