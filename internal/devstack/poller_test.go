package devstack

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/localaws"
)

// fifoQueue creates a FIFO queue for t on the shared emulator and deletes
// it when t ends.
func fifoQueue(t *testing.T) (*sqs.Client, string, string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := localaws.Config(ctx, emulators)
	if err != nil {
		t.Fatal(err)
	}
	client := localaws.SQSClient(cfg, emulators)
	name := fmt.Sprintf("poller-%s-%s.fifo", testPrefix(t.Name()), hex.EncodeToString(randomBytes(3)))
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
		// A failed message is retried when its visibility timeout ends, as
		// on Lambda: short here so the test need not wait minutes.
		Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "2"}})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() {
		_, _ = client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	})
	arn, err := queueARN(ctx, client, url)
	if err != nil {
		t.Fatal(err)
	}
	return client, url, arn
}

func send(t *testing.T, c *sqs.Client, url, group, body string) {
	t.Helper()
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String(body),
		MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"origin": {DataType: aws.String("String"), StringValue: aws.String("test")},
		},
	})
	if err != nil {
		t.Fatalf("send %s: %v", body, err)
	}
}

// delivery is one message as a handler saw it, and whether it failed.
type delivery struct {
	msg    events.SQSMessage
	batch  int
	failed bool
}

// recorder is a sync handler that records every delivery. It fails the
// messages fail picks and, as the FIFO rule requires, every later message
// of the same group in the batch; err, when set, fails whole batches.
type recorder struct {
	mu         sync.Mutex
	deliveries []delivery
	batches    int
	fail       func(m events.SQSMessage) bool
	err        func(batch int) error
}

func (r *recorder) handle(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	var err error
	if r.err != nil {
		err = r.err(r.batches)
	}
	var resp events.SQSEventResponse
	failing := map[string]bool{}
	for _, m := range ev.Records {
		g := m.Attributes["MessageGroupId"]
		failed := err != nil || failing[g] || (r.fail != nil && r.fail(m))
		if failed {
			failing[g] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
		r.deliveries = append(r.deliveries, delivery{msg: m, batch: r.batches, failed: failed})
	}
	return resp, err
}

// succeeded returns the bodies handled without failure, per group, in
// the order they were handled.
func (r *recorder) succeeded() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for _, d := range r.deliveries {
		if !d.failed {
			g := d.msg.Attributes["MessageGroupId"]
			out[g] = append(out[g], d.msg.Body)
		}
	}
	return out
}

func (r *recorder) count(body string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.deliveries {
		if d.msg.Body == body {
			n++
		}
	}
	return n
}

func (r *recorder) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deliveries)
}

func startSource(t *testing.T, c *sqs.Client, url, arn string, h app.SQSHandler) *activity {
	t.Helper()
	act := &activity{}
	src := &eventSource{function: "TestFunction", queueURL: url, queueARN: arn, sqs: c, handler: h,
		batchSize: 10, concurrency: 2, timeout: 10 * time.Second,
		log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), activity: act}
	ctx, cancel := context.WithCancel(context.Background())
	var invocations, polling sync.WaitGroup
	polling.Add(1)
	go func() { defer polling.Done(); src.run(ctx, context.Background(), &invocations) }()
	t.Cleanup(func() { cancel(); polling.Wait(); invocations.Wait() })
	return act
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled reports whether the queue is empty and no invocation runs.
func settled(t *testing.T, c *sqs.Client, url string, act *activity) bool {
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Errorf("queue attributes: %v", err)
		return true
	}
	return act.running.Load() == 0 && out.Attributes["ApproximateNumberOfMessages"] == "0" &&
		out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
}

func TestEventSourcePartialFailureRetriesOnlyFailedAndKeepsGroupOrder(t *testing.T) {
	c, url, arn := fifoQueue(t)
	for _, m := range []struct{ group, body string }{{"g1", "a1"}, {"g2", "b1"}, {"g1", "a2"}, {"g2", "b2"}, {"g1", "a3"}} {
		send(t, c, url, m.group, m.body)
	}
	h := &recorder{fail: func(m events.SQSMessage) bool {
		return m.Body == "a2" && m.Attributes["ApproximateReceiveCount"] == "1"
	}}
	act := startSource(t, c, url, arn, h.handle)
	waitFor(t, "every message handled and the queue empty", func() bool {
		return h.count("a3") > 0 && h.count("b2") > 0 && settled(t, c, url, act)
	})

	got := h.succeeded()
	want := map[string][]string{"g1": {"a1", "a2", "a3"}, "g2": {"b1", "b2"}}
	for g, bodies := range want {
		if !slices.Equal(got[g], bodies) {
			t.Errorf("group %s handled %v, want %v in that order", g, got[g], bodies)
		}
	}
	if n := h.count("a2"); n != 2 {
		t.Errorf("a2 delivered %d times, want 2 (failed once, then retried)", n)
	}
	for _, body := range []string{"a1", "b1", "b2"} {
		if n := h.count(body); n != 1 {
			t.Errorf("%s delivered %d times, want 1: a success must be deleted", body, n)
		}
	}
}

func TestEventSourceBuildsLambdaSQSEvent(t *testing.T) {
	c, url, arn := fifoQueue(t)
	send(t, c, url, "tenant#cus_1", `{"kind":"customer"}`)
	h := &recorder{}
	act := startSource(t, c, url, arn, h.handle)
	waitFor(t, "the message handled", func() bool { return h.count(`{"kind":"customer"}`) > 0 && settled(t, c, url, act) })

	all := h.all()
	if len(all) != 1 {
		t.Fatalf("got %d deliveries, want 1", len(all))
	}
	m := all[0].msg
	queueName := url[strings.LastIndex(url, "/")+1:]
	checks := []struct{ field, got, want string }{
		{"body", m.Body, `{"kind":"customer"}`},
		{"eventSource", m.EventSource, "aws:sqs"},
		{"eventSourceARN", m.EventSourceARN, "arn:aws:sqs:us-east-1:000000000000:" + queueName},
		{"awsRegion", m.AWSRegion, "us-east-1"},
		{"MessageGroupId", m.Attributes["MessageGroupId"], "tenant#cus_1"},
		{"MessageDeduplicationId", m.Attributes["MessageDeduplicationId"], `{"kind":"customer"}`},
		{"ApproximateReceiveCount", m.Attributes["ApproximateReceiveCount"], "1"},
		{"message attribute origin", aws.ToString(m.MessageAttributes["origin"].StringValue), "test"},
		{"message attribute type", m.MessageAttributes["origin"].DataType, "String"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if m.MessageId == "" || m.ReceiptHandle == "" || m.Md5OfBody == "" || m.Attributes["SentTimestamp"] == "" {
		t.Errorf("messageId, receiptHandle, md5OfBody and SentTimestamp must be set: %+v", m)
	}
}

func TestEventSourceFailsWholeBatch(t *testing.T) {
	tests := []struct {
		name string
		// wrap turns the recorder's handler into one that fails the
		// first batch as a whole.
		wrap func(h app.SQSHandler) app.SQSHandler
	}{
		{"handler error", func(h app.SQSHandler) app.SQSHandler {
			var calls atomic.Int32
			return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				resp, err := h(ctx, ev)
				if calls.Add(1) == 1 {
					return resp, errors.New("boom")
				}
				return resp, err
			}
		}},
		{"item identifier not in the batch", func(h app.SQSHandler) app.SQSHandler {
			var calls atomic.Int32
			return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				resp, err := h(ctx, ev)
				if calls.Add(1) == 1 {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: "not-in-batch"})
				}
				return resp, err
			}
		}},
		{"panic", func(h app.SQSHandler) app.SQSHandler {
			var calls atomic.Int32
			return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				resp, err := h(ctx, ev)
				if calls.Add(1) == 1 {
					panic("boom")
				}
				return resp, err
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, url, arn := fifoQueue(t)
			send(t, c, url, "g1", "m1")
			send(t, c, url, "g2", "m2")
			h := &recorder{}
			act := startSource(t, c, url, arn, tc.wrap(h.handle))
			waitFor(t, "both messages handled and the queue empty", func() bool {
				return h.count("m1") > 0 && h.count("m2") > 0 && settled(t, c, url, act)
			})
			all := h.all()
			if len(all) < 2 || all[0].batch != 1 || all[1].batch != 1 {
				t.Fatalf("the first batch did not hold both messages; the test needs one batch of two")
			}
			for _, body := range []string{"m1", "m2"} {
				if n := h.count(body); n != 2 {
					t.Errorf("%s delivered %d times, want 2: a failed batch is retried whole, once", body, n)
				}
			}
		})
	}
}
