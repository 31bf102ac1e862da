package outbound_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/outbound"
)

var stack *localaws.Stack

func TestMain(m *testing.M) { localaws.Main(m, &stack) }

// env is one test's table and outbound queue on the emulators.
type env struct {
	table, queue string
}

func newEnv(t *testing.T) env {
	t.Helper()
	_, _, res := stack.ForTest(t)
	q := res.Physical["OutboundQueue"]
	if q == "" {
		t.Fatal("template provisions no OutboundQueue")
	}
	return env{table: res.Table, queue: q}
}

func (e env) store(s outbound.Sender) *outbound.Store {
	return outbound.NewStore(stack.DynamoDB, e.table, s, e.queue, nil)
}

// drain receives every message now visible on the outbound queue.
func (e env) drain(t *testing.T) []string {
	t.Helper()
	var bodies []string
	for {
		res, err := stack.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: &e.queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			return bodies
		}
		for _, m := range res.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := stack.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &e.queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func paid(tenant, id string) outbound.Event {
	return outbound.Event{ID: id, Tenant: tenant, Type: "quickbooks.invoice.paid",
		OccurredAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), Data: json.RawMessage(`{"invoice_id":"inv_1"}`)}
}

func TestRecordStoresOnceAndSchedulesOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS)
	for range 3 {
		if err := s.Record(ctx, paid("acme", "evt_paid_1")); err != nil {
			t.Fatal(err)
		}
	}
	msgs := e.drain(t)
	if len(msgs) != 1 {
		t.Fatalf("delivery messages = %q, want one for the event recorded three times", msgs)
	}
	var m struct{ Tenant, ID string }
	if err := json.Unmarshal([]byte(msgs[0]), &m); err != nil || m.Tenant != "acme" || m.ID != "evt_paid_1" {
		t.Errorf("message %s, want tenant acme and id evt_paid_1", msgs[0])
	}
	d, err := s.Delivery(ctx, "acme", "evt_paid_1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != outbound.StatusPending || d.Attempts != 0 || d.Type != "quickbooks.invoice.paid" ||
		string(d.Data) != `{"invoice_id":"inv_1"}` || !d.OccurredAt.Equal(paid("", "").OccurredAt) {
		t.Errorf("delivery = %+v, want the pending event as recorded", d)
	}
	if _, err := s.Delivery(ctx, "other", "evt_paid_1"); !errors.Is(err, outbound.ErrNotFound) {
		t.Errorf("another tenant reads the event: err = %v, want ErrNotFound", err)
	}
}

// A second record by another tenant with the same id is its own event.
func TestRecordIsPerTenant(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS)
	for _, tenant := range []string{"acme", "globex"} {
		if err := s.Record(ctx, paid(tenant, "evt_same")); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := e.drain(t); len(msgs) != 2 {
		t.Errorf("delivery messages = %q, want one per tenant", msgs)
	}
}

type failingSender struct{}

func (failingSender) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return nil, errors.New("queue unavailable")
}

// An event stored whose delivery could not be scheduled is scheduled by
// the caller's retry, not lost as a duplicate.
func TestRecordRetrySchedulesWhatAFailedSendLeft(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if err := e.store(failingSender{}).Record(ctx, paid("acme", "evt_retry")); err == nil {
		t.Fatal("record with the queue down: err = nil, want the send's failure")
	}
	s := e.store(stack.SQS)
	if err := s.Record(ctx, paid("acme", "evt_retry")); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, paid("acme", "evt_retry")); err != nil {
		t.Fatal(err)
	}
	if msgs := e.drain(t); len(msgs) != 1 {
		t.Errorf("delivery messages = %q, want exactly one after the retry", msgs)
	}
}

func TestRecordRefusesIncompleteEvents(t *testing.T) {
	s := newEnv(t).store(stack.SQS)
	for name, ev := range map[string]outbound.Event{
		"no id":     {Tenant: "acme", Type: "quickbooks.invoice.paid", Data: json.RawMessage(`{}`)},
		"no tenant": {ID: "evt_1", Type: "quickbooks.invoice.paid", Data: json.RawMessage(`{}`)},
		"no data":   {ID: "evt_1", Tenant: "acme", Type: "quickbooks.invoice.paid"},
	} {
		if err := s.Record(context.Background(), ev); err == nil {
			t.Errorf("%s: err = nil, want a refusal", name)
		}
	}
}
