package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
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

// receive takes (and deletes) up to 10 messages from url.
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
		if _, err := stack.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

// recorder keeps what is sent to the defer queue, which delays it too
// long for a test to receive.
type recorder struct {
	queue.Sender
	deferURL string
	deferred []string
}

func (r *recorder) SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if aws.ToString(in.QueueUrl) == r.deferURL {
		r.deferred = append(r.deferred, aws.ToString(in.MessageBody))
		return &sqs.SendMessageOutput{}, nil
	}
	return r.Sender.SendMessage(ctx, in, opts...)
}

// handleMessages runs the sync's FIFO handler on ms as Lambda delivers them.
func handleMessages(t *testing.T, h func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), ms ...queue.Message) {
	t.Helper()
	var ev events.SQSEvent
	for _, m := range ms {
		body, _ := json.Marshal(m)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: m.ID, Body: string(body),
			Attributes: map[string]string{"MessageGroupId": m.GroupID()}})
	}
	if resp, err := h(context.Background(), ev); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("handle %+v: %v %+v", ms, err, resp)
	}
}

// With group lanes (DynamoDB Local), a message goes where its customer's
// group is: a backfilled product's wake-up of an invoice whose customer
// is live goes live, one for a customer without a lane inherits the
// backfill; a deferred message keeps its group's lane while parked, so
// a new event of the group waits behind it in the backfill lane and the
// resume returns it there; and a message found in the other lane after
// its group began again elsewhere is moved, not synced beside it.
func TestGroupsKeepTheirLaneThroughWakeUpsDeferralsAndSyncs(t *testing.T) {
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	now := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	rec := &recorder{Sender: stack.SQS, deferURL: res.Physical["DeferQueue"]}
	p := queue.NewPublisher(rec, res.Queues, rec.deferURL, clock).WithBackfill(res.Backfill).
		WithGroupLanes(store.New(stack.DynamoDB, res.Table, clock))
	live := func(context.Context) queue.Lane { return queue.LaneLive }
	event := func(m queue.Message) queue.Lane { // as the webhook publishes a new event
		t.Helper()
		l, err := p.PublishChoosing(ctx, m, live)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	var synced []string
	handle := queue.FIFOHandler(p.InGroupLane(func(ctx context.Context, m queue.Message) error {
		synced = append(synced, m.ID)
		if m.Kind != billing.KindProduct {
			return nil
		}
		for _, c := range []string{"cus_live", "cus_new"} {
			if err := p.Publish(ctx, queue.Message{Tenant: m.Tenant, Kind: billing.KindInvoice, ID: "inv_" + c,
				CustomerID: c, Reason: "wake", Nonce: "wake:" + m.ID}); err != nil {
				return err
			}
		}
		return nil
	}, slog.New(slog.DiscardHandler)), nil, slog.New(slog.DiscardHandler))

	// Wake-ups.
	event(queue.Message{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_live", CustomerID: "cus_live", Version: 1})
	receive(t, res.Queues[billing.KindCustomer])
	prod := queue.Message{Tenant: "acme", Kind: billing.KindProduct, ID: "prod_1", Version: 1, Lane: queue.LaneBackfill}
	if err := p.Publish(ctx, prod); err != nil {
		t.Fatal(err)
	}
	handleMessages(t, handle, receive(t, res.Backfill[billing.KindProduct])...)
	if got := receive(t, res.Queues[billing.KindInvoice]); len(got) != 1 || got[0].ID != "inv_cus_live" || got[0].Lane != queue.LaneLive {
		t.Errorf("invoice live queue holds %+v, want the wake-up of inv_cus_live (its customer is live)", got)
	}
	if got := receive(t, res.Backfill[billing.KindInvoice]); len(got) != 1 || got[0].ID != "inv_cus_new" || got[0].Lane != queue.LaneBackfill {
		t.Errorf("invoice backfill queue holds %+v, want the wake-up of inv_cus_new (no lane yet: the product's)", got)
	}

	// A deferral parked for 40 minutes, beyond the window of its publish.
	parked := queue.Message{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_parked", CustomerID: "cus_parked", Version: 1, Lane: queue.LaneBackfill}
	if err := p.Publish(ctx, parked); err != nil {
		t.Fatal(err)
	}
	receive(t, res.Backfill[billing.KindCustomer])
	if err := p.Defer(ctx, queue.Message{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_parked", CustomerID: "cus_parked", Version: 1}, now.Add(40*time.Minute)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Minute)
	inv := queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_parked", CustomerID: "cus_parked", Version: 1}
	if l := event(inv); l != queue.LaneBackfill {
		t.Errorf("an event of a customer whose sync is parked went %s, want backfill behind it", l)
	}
	now = now.Add(10 * time.Minute)
	var deferred []events.SQSMessage
	for i, body := range rec.deferred {
		deferred = append(deferred, events.SQSMessage{MessageId: fmt.Sprint(i), Body: body})
	}
	if resp, err := queue.ResumeHandler(queue.NewPublisher(stack.SQS, res.Queues, rec.deferURL, clock).WithBackfill(res.Backfill),
		clock, slog.New(slog.DiscardHandler))(ctx, events.SQSEvent{Records: deferred}); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("resume: %v %+v", err, resp)
	}
	if got := receive(t, res.Backfill[billing.KindCustomer]); len(got) != 1 || got[0].ID != "cus_parked" || got[0].Reason != "resume" {
		t.Errorf("customer backfill queue holds %+v, want cus_parked resumed in its group's lane", got)
	}
	if got := receive(t, res.Queues[billing.KindCustomer]); len(got) != 0 {
		t.Errorf("customer live queue holds %+v, want nothing", got)
	}
	if got := receive(t, res.Backfill[billing.KindInvoice]); len(got) != 1 || got[0].ID != "inv_parked" {
		t.Errorf("invoice backfill queue holds %+v, want inv_parked", got)
	}

	// A backfill message that waited past the window while its customer
	// began again in the live lane.
	stale := queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_old", CustomerID: "cus_moved", Version: 1, Lane: queue.LaneBackfill}
	if err := p.Publish(ctx, stale); err != nil {
		t.Fatal(err)
	}
	now = now.Add(queue.LaneWindow + time.Minute)
	if l := event(queue.Message{Tenant: "acme", Kind: billing.KindPayment, ID: "pay_new", CustomerID: "cus_moved", Version: 1}); l != queue.LaneLive {
		t.Fatalf("a new event of a customer quiet for %s went %s, want live", queue.LaneWindow+time.Minute, l)
	}
	synced = nil
	handleMessages(t, handle, receive(t, res.Backfill[billing.KindInvoice])...)
	if len(synced) != 0 {
		t.Errorf("synced %v in the backfill lane while cus_moved is live", synced)
	}
	if got := receive(t, res.Queues[billing.KindInvoice]); len(got) != 1 || got[0].ID != "inv_old" || got[0].Lane != queue.LaneLive {
		t.Errorf("invoice live queue holds %+v, want inv_old moved there", got)
	}
}

// Webhooks racing for a customer new to the lanes, whose rule would put
// them in different lanes (the minute's count passed its limit between
// them), all send it to one lane: the first claim's.
func TestRacingEventsOfANewCustomerAgreeOnItsLane(t *testing.T) {
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	p := queue.NewPublisher(stack.SQS, res.Queues, "", nil).WithBackfill(res.Backfill).
		WithGroupLanes(store.New(stack.DynamoDB, res.Table, nil))
	lanes := make([]queue.Lane, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range lanes {
		wg.Go(func() {
			rule := func(context.Context) queue.Lane { return []queue.Lane{queue.LaneLive, queue.LaneBackfill}[i%2] }
			lanes[i], errs[i] = p.PublishChoosing(ctx, queue.Message{Tenant: "acme", Kind: billing.KindInvoice,
				ID: fmt.Sprintf("inv_%d", i), CustomerID: "cus_1", Version: 1}, rule)
		})
	}
	wg.Wait()
	for i := range lanes {
		if errs[i] != nil {
			t.Fatalf("event %d: %v", i, errs[i])
		}
		if lanes[i] != lanes[0] {
			t.Errorf("cus_1's events went to lanes %v, want one", lanes)
			break
		}
	}
}

// holds counts the lane holds asked of a LaneStore.
type holds struct {
	queue.LaneStore
	mu sync.Mutex
	n  int
}

func (h *holds) HoldLane(ctx context.Context, tenant, group string, until time.Time) (queue.Lane, bool, error) {
	h.mu.Lock()
	h.n++
	h.mu.Unlock()
	return h.LaneStore.HoldLane(ctx, tenant, group, until)
}

func (h *holds) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// A sync taking up a message published moments ago syncs it without
// holding its group's lane again (the publisher's hold outlasts the sync
// by far), and a publisher that held a group's lane moments ago sends
// its next message without holding it again; a message that waited past
// LaneRefresh holds it again, so the group keeps its lane LaneWindow
// after the sync.
func TestAFreshMessageSyncsWithoutHoldingItsLaneAgain(t *testing.T) {
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	now := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	lanes := &holds{LaneStore: store.New(stack.DynamoDB, res.Table, clock)}
	p := queue.NewPublisher(stack.SQS, res.Queues, res.Physical["DeferQueue"], clock).WithBackfill(res.Backfill).WithGroupLanes(lanes)
	var synced []string
	handle := queue.FIFOHandler(p.InGroupLane(func(ctx context.Context, m queue.Message) error {
		synced = append(synced, m.ID)
		return nil
	}, slog.New(slog.DiscardHandler)), nil, slog.New(slog.DiscardHandler))

	m := queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", CustomerID: "cus_1", Version: 1}
	if err := p.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	published := lanes.count()
	now = now.Add(time.Minute)
	handleMessages(t, handle, receive(t, res.Queues[billing.KindInvoice])...)
	if got := lanes.count() - published; got != 0 || len(synced) != 1 {
		t.Errorf("a message published a minute ago: %d lane holds, synced %v; want 0 holds and inv_1 synced", got, synced)
	}

	before := lanes.count()
	if err := p.Publish(ctx, queue.Message{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_2", CustomerID: "cus_1", Version: 1}); err != nil {
		t.Fatal(err)
	}
	published = lanes.count()
	if published != before {
		t.Errorf("a second event of cus_1 a minute after the first: %d lane holds, want 0 (this publisher held it moments ago)", published-before)
	}
	now = now.Add(queue.LaneRefresh + time.Second)
	handleMessages(t, handle, receive(t, res.Queues[billing.KindInvoice])...)
	if got := lanes.count() - published; got != 1 || len(synced) != 2 {
		t.Errorf("a message that waited past %v: %d lane holds, synced %v; want 1 hold and inv_2 synced", queue.LaneRefresh, got, synced)
	}
	// The hold moved with that sync: the group is still in its lane a
	// window after it, not only after the publish.
	now = now.Add(queue.LaneWindow - time.Minute)
	if l, ok, err := lanes.HoldLane(ctx, "acme", "acme#cus_1", now.Add(time.Minute)); err != nil || !ok || l != queue.LaneLive {
		t.Errorf("lane of cus_1 a window after the sync: %v %v %v, want live and held", l, ok, err)
	}
}
