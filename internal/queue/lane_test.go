package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
)

// minuteCounter counts events per tenant as the store's per-minute item
// does, or fails.
type minuteCounter struct {
	n   map[string]int64
	err error
}

func (c *minuteCounter) CountEvent(_ context.Context, tenant string, at time.Time) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	key := tenant + at.Truncate(time.Minute).String()
	c.n[key]++
	return c.n[key], nil
}

func TestLanesTellBackfillFromLive(t *testing.T) {
	now := time.Date(2026, 11, 30, 23, 59, 10, 0, time.UTC)
	c := &minuteCounter{n: map[string]int64{}}
	l := &queue.Lanes{Counter: c, LivePerMinute: 3, BackfillAge: 15 * time.Minute, Now: func() time.Time { return now }}
	ctx := context.Background()
	var got []queue.Lane
	for range 5 {
		got = append(got, l.Choose(ctx, "acme", now.Add(-time.Second)))
	}
	want := []queue.Lane{queue.LaneLive, queue.LaneLive, queue.LaneLive, queue.LaneBackfill, queue.LaneBackfill}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("acme's event %d this minute: %s lane, want %s", i+1, got[i], want[i])
		}
	}
	if lane := l.Choose(ctx, "globex", now); lane != queue.LaneLive {
		t.Errorf("another tenant's first event: %s lane, want live", lane)
	}
	if lane := l.Choose(ctx, "initech", now.Add(-16*time.Minute)); lane != queue.LaneBackfill {
		t.Errorf("an event 16 minutes old: %s lane, want backfill", lane)
	}
	now = now.Add(time.Minute)
	if lane := l.Choose(ctx, "acme", now); lane != queue.LaneLive {
		t.Errorf("acme's first event of the next minute: %s lane, want live", lane)
	}
	c.err = errors.New("throughput exceeded")
	if lane := l.Choose(ctx, "acme", now); lane != queue.LaneLive {
		t.Errorf("event whose count failed: %s lane, want live (accepted, not refused)", lane)
	}
}

// A backfill message waits in its kind's backfill queue, and what its
// sync publishes (the wake-up of an invoice waiting for this customer)
// stays in the backfill lane; a live message's wake-up is live.
func TestBackfillAndItsWakeUpsStayInTheBackfillLane(t *testing.T) {
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	p := queue.NewPublisher(stack.SQS, res.Queues, "", nil).WithBackfill(res.Backfill)
	handle := queue.FIFOHandler(func(ctx context.Context, m queue.Message) error {
		return p.Publish(ctx, queue.Message{Tenant: m.Tenant, Kind: billing.KindInvoice, ID: "inv_of_" + m.ID,
			CustomerID: m.ID, Reason: "wake", Nonce: "wake:" + m.ID})
	}, nil, slog.New(slog.DiscardHandler))

	backfill := queue.Message{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_old", CustomerID: "cus_old", Version: 1, Lane: queue.LaneBackfill}
	if err := p.Publish(ctx, backfill); err != nil {
		t.Fatal(err)
	}
	got := receive(t, res.Backfill[billing.KindCustomer])
	if len(got) != 1 || got[0].ID != "cus_old" || got[0].Lane != queue.LaneBackfill {
		t.Fatalf("customer backfill queue holds %+v, want cus_old in the backfill lane", got)
	}
	if live := receive(t, res.Queues[billing.KindCustomer]); len(live) != 0 {
		t.Errorf("customer live queue holds %+v, want nothing", live)
	}
	live := queue.Message{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_new", CustomerID: "cus_new", Version: 1}
	for _, m := range []queue.Message{backfill, live} {
		body, _ := json.Marshal(m)
		ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: m.ID, Body: string(body),
			Attributes: map[string]string{"MessageGroupId": m.GroupID()}}}}
		if resp, err := handle(ctx, ev); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("handle %s: %v %+v", m.ID, err, resp)
		}
	}
	if got := receive(t, res.Backfill[billing.KindInvoice]); len(got) != 1 || got[0].ID != "inv_of_cus_old" || got[0].Lane != queue.LaneBackfill {
		t.Errorf("invoice backfill queue holds %+v, want the wake-up of inv_of_cus_old", got)
	}
	if got := receive(t, res.Queues[billing.KindInvoice]); len(got) != 1 || got[0].ID != "inv_of_cus_new" || got[0].Lane != queue.LaneLive {
		t.Errorf("invoice live queue holds %+v, want the wake-up of inv_of_cus_new", got)
	}
}

func receive(t *testing.T, url string) []queue.Message {
	t.Helper()
	out, err := stack.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ms []queue.Message
	for _, m := range out.Messages {
		var q queue.Message
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &q); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, q)
	}
	return ms
}
