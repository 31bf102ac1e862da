package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/queue"
)

var stack *localaws.Stack

func TestMain(m *testing.M) { localaws.Main(m, &stack) }

func TestPublishGroupsAndDeduplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	p := queue.NewPublisher(stack.SQS, res.Queues, "", nil)
	m := queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", CustomerID: "cus_1", Version: 3, EventID: "evt_1"}
	for i := 0; i < 3; i++ { // the webhook retried: one message only
		if err := p.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	wake := m
	wake.Nonce = "wake:customer:cus_1:1"
	if err := p.Publish(ctx, wake); err != nil {
		t.Fatal(err)
	}
	out, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(res.Queues[billing.KindInvoice]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) == 0 {
		t.Fatal("no message on the invoice queue")
	}
	var got queue.Message
	if err := json.Unmarshal([]byte(*out.Messages[0].Body), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("message = %+v, want %+v", got, m)
	}
	if g := out.Messages[0].Attributes["MessageGroupId"]; g != "acme#cus_1" {
		t.Errorf("group = %q, want acme#cus_1", g)
	}
	// The first message of the group is in flight, so FIFO holds the
	// wake-up back; delete it and the deliberate re-send (not a duplicate) follows.
	if _, err := stack.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(res.Queues[billing.KindInvoice]), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	next, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(res.Queues[billing.KindInvoice]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Messages) != 1 {
		t.Fatalf("after the first: %d messages, want exactly the wake-up (duplicates dropped)", len(next.Messages))
	}
	if err := json.Unmarshal([]byte(*next.Messages[0].Body), &got); err != nil || got.Nonce != wake.Nonce {
		t.Errorf("second message = %+v, want the wake-up", got)
	}
	if err := p.Publish(ctx, queue.Message{Tenant: "acme", Kind: "ledger", ID: "x"}); err == nil {
		t.Error("publishing an unknown kind must fail")
	}
}

func TestFIFOHandlerStopsAtFirstFailure(t *testing.T) {
	t.Parallel()
	var handled []string
	fn := func(_ context.Context, m queue.Message) error {
		handled = append(handled, m.ID)
		if m.ID == "b" {
			return errors.New("qbo unavailable")
		}
		return nil
	}
	h := queue.FIFOHandler(fn, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var ev events.SQSEvent
	for _, id := range []string{"a", "b", "c", "d"} {
		body, _ := json.Marshal(queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: id})
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m-" + id, Body: string(body)})
	}
	ev.Records = append(ev.Records[:1], append([]events.SQSMessage{{MessageId: "m-junk", Body: "not json"}}, ev.Records[1:]...)...)
	resp, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if fmt.Sprint(failed) != "[m-b m-c m-d]" {
		t.Errorf("failed = %v, want b and everything after it (FIFO order kept)", failed)
	}
	if fmt.Sprint(handled) != "[a b]" {
		t.Errorf("handled = %v, want processing to stop at b", handled)
	}
}

// A deferred sync waits in the defer queue, not on its FIFO queue, and the
// resumer sends it back to its kind's queue as a new message once due (a
// wait longer than SQS's delay is deferred again).
func TestDeferParksAndResumeRequeues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	deferURL := res.Physical["DeferQueue"]
	if deferURL == "" {
		t.Fatal("the template provisions no DeferQueue")
	}
	now := time.Now()
	p := queue.NewPublisher(stack.SQS, res.Queues, deferURL, func() time.Time { return now })
	m := queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", CustomerID: "cus_1", Version: 3, EventID: "evt_1", Attempt: 1}
	if err := p.Defer(ctx, m, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := depth(t, res.Queues[billing.KindInvoice]); n != 0 {
		t.Fatalf("the invoice queue holds %d messages while the sync is parked, want 0", n)
	}
	var recs []events.SQSMessage
	deadline := time.Now().Add(10 * time.Second)
	for len(recs) < 1 && time.Now().Before(deadline) {
		out, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(deferURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range out.Messages {
			recs = append(recs, events.SQSMessage{MessageId: aws.ToString(msg.MessageId), Body: aws.ToString(msg.Body)})
		}
	}
	if len(recs) != 1 {
		t.Fatalf("got %d deferred messages, want 1", len(recs))
	}
	// One due in an hour: SQS delays at most 15 minutes, so the resumer
	// sees it early and must defer it again.
	later := m
	later.ID, later.NotBefore = "inv_2", now.Add(time.Hour).Unix()
	body, _ := json.Marshal(later)
	recs = append(recs, events.SQSMessage{MessageId: "later", Body: string(body)})
	resp, err := queue.ResumeHandler(p, func() time.Time { return now.Add(2 * time.Second) }, slog.New(slog.DiscardHandler))(ctx, events.SQSEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resume: %v, failures %v", err, resp.BatchItemFailures)
	}
	out, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(res.Queues[billing.KindInvoice]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("the invoice queue got %d messages, want 1: only the one that is due", len(out.Messages))
	}
	var got queue.Message
	if err := json.Unmarshal([]byte(*out.Messages[0].Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "inv_1" || got.Reason != "resume" || got.Attempt != 1 || got.Nonce == "" || got.NotBefore != 0 {
		t.Errorf("resumed message = %+v, want inv_1 as a resume with its attempt and a nonce", got)
	}
	delayed, err := stack.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(deferURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		t.Fatal(err)
	}
	if n := delayed.Attributes["ApproximateNumberOfMessagesDelayed"]; n != "1" {
		t.Errorf("the defer queue delays %s messages, want 1: inv_2 deferred again", n)
	}
}

func depth(t *testing.T, url string) int {
	t.Helper()
	out, err := stack.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		var i int
		fmt.Sscan(v, &i)
		n += i
	}
	return n
}

// Message groups run concurrently and only the failed group stops: another
// customer's messages in the same batch are handled and deleted.
func TestFIFOHandlerKeepsOrderPerGroup(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	handled := map[string][]string{}
	fn := func(_ context.Context, m queue.Message) error {
		mu.Lock()
		handled[m.CustomerID] = append(handled[m.CustomerID], m.ID)
		mu.Unlock()
		if m.ID == "b" {
			return errors.New("dynamodb unavailable")
		}
		return nil
	}
	var ev events.SQSEvent
	for _, r := range []struct{ group, id string }{{"g1", "a"}, {"g2", "x"}, {"g1", "b"}, {"g2", "y"}, {"g1", "c"}} {
		body, _ := json.Marshal(queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: r.id, CustomerID: r.group})
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m-" + r.id, Body: string(body),
			Attributes: map[string]string{"MessageGroupId": "acme#" + r.group}})
	}
	resp, err := queue.FIFOHandler(fn, nil, slog.New(slog.DiscardHandler))(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if fmt.Sprint(failed) != "[m-b m-c]" {
		t.Errorf("failed = %v, want b and its group's later c only", failed)
	}
	if fmt.Sprint(handled["g1"]) != "[a b]" || fmt.Sprint(handled["g2"]) != "[x y]" {
		t.Errorf("handled = %v, want g1 to stop at b and g2 in order", handled)
	}
}

// A batch received too close to the function's deadline is not started:
// every message goes back to SQS (each spends a receive) rather than
// being cut off mid-write.
func TestFIFOHandlerNearTheDeadlineStartsNothing(t *testing.T) {
	t.Parallel()
	var handled []string
	fn := func(_ context.Context, m queue.Message) error {
		handled = append(handled, m.ID)
		return nil
	}
	var ev events.SQSEvent
	for _, id := range []string{"a", "b"} {
		body, _ := json.Marshal(queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: id})
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m-" + id, Body: string(body)})
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(4*time.Second))
	defer cancel()
	resp, err := queue.FIFOHandler(fn, nil, slog.New(slog.DiscardHandler))(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if fmt.Sprint(failed) != "[m-a m-b]" || len(handled) != 0 {
		t.Errorf("failed = %v, handled = %v; want both returned unhandled", failed, handled)
	}
}
