package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/billing"
)

// Sender is the slice of the SQS client the publisher uses.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// MaxDelay is the longest delay SQS gives one message.
const MaxDelay = 15 * time.Minute

// Publisher sends messages to the FIFO queue of their kind, and deferred
// ones to the defer queue.
type Publisher struct {
	sqs      Sender
	urls     map[billing.Kind]string
	backfill map[billing.Kind]string
	lanes    LaneStore
	held     *heldLanes
	deferURL string
	now      func() time.Time
}

// NewPublisher returns a Publisher; urls maps each kind to its queue URL,
// deferURL is the standard queue that delays deferred syncs ("" where a
// function defers nothing).
func NewPublisher(s Sender, urls map[billing.Kind]string, deferURL string, now func() time.Time) *Publisher {
	if now == nil {
		now = time.Now
	}
	return &Publisher{sqs: s, urls: urls, deferURL: deferURL, now: now}
}

// WithBackfill gives p the kinds' backfill queues; without them every
// message goes to its kind's live queue.
func (p *Publisher) WithBackfill(urls map[billing.Kind]string) *Publisher {
	c := *p
	c.backfill = urls
	return &c
}

// WithGroupLanes makes p send every message in the lane its group holds
// (see LaneWindow), kept in s. Without it a message goes to the lane it
// names, or the lane of the message being handled.
func (p *Publisher) WithGroupLanes(s LaneStore) *Publisher {
	c := *p
	c.lanes, c.held = s, &heldLanes{}
	return &c
}

// Publish sends m to its kind's queue in its group's lane, grouped by
// tenant#customer and deduplicated by tenant#kind#id#version. A group
// that holds no lane takes m's, or, for a message published while
// another is handled (a wake-up), the handled message's lane.
func (p *Publisher) Publish(ctx context.Context, m Message) error {
	_, err := p.PublishChoosing(ctx, m, nil)
	return err
}

// PublishChoosing is Publish where choose gives the lane of a group that
// holds none (the webhook's rule for an event; nil: as Publish). It
// returns the lane m was sent in.
func (p *Publisher) PublishChoosing(ctx context.Context, m Message, choose func(context.Context) Lane) (Lane, error) {
	if choose == nil {
		choose = inherited(m)
	}
	if p.lanes == nil {
		m.Lane, m.LaneUntil = choose(ctx), 0 // no hold of this publisher's
		return m.Lane, p.send(ctx, m)
	}
	now := p.now()
	if l, until, ok := p.held.fresh(m.GroupID(), now); ok {
		// This process held the group's lane moments ago: the hold
		// outlasts the message's wait and sync as the sync's own rule
		// (LaneRefresh) asks, and no lane is given before a hold ends.
		m.Lane, m.LaneUntil = l, until.Unix()
		return l, p.send(ctx, m)
	}
	until := now.Add(LaneWindow)
	l, err := groupLane(ctx, p.lanes, m, until, choose)
	if err != nil {
		return l, fmt.Errorf("publish %s/%s: %w", m.Kind, m.ID, err)
	}
	p.held.put(m.GroupID(), l, until)
	m.Lane, m.LaneUntil = l, until.Unix()
	return l, p.send(ctx, m)
}

// inherited is the lane of a message that names none: the lane of the
// message being handled.
func inherited(m Message) func(context.Context) Lane {
	return func(ctx context.Context) Lane {
		if m.Lane == LaneLive {
			return laneOf(ctx)
		}
		return m.Lane
	}
}

// InGroupLane wraps a sync's handler so that it syncs a message only in
// the lane the message's group holds, which it keeps held through the
// sync: a message that waited in its queue past LaneWindow while its
// group began again in the other lane is moved there, behind the group's
// other messages, instead of being synced beside them. Without group
// lanes fn is returned as it is.
func (p *Publisher) InGroupLane(fn func(context.Context, Message) error, log *slog.Logger) func(context.Context, Message) error {
	if p.lanes == nil {
		return fn
	}
	return func(ctx context.Context, m Message) error {
		now := p.now()
		if m.LaneUntil != 0 && time.Unix(m.LaneUntil, 0).Sub(now) >= LaneWindow-LaneRefresh {
			// Published moments ago: its group holds m's lane for longer
			// than any sync takes, and no lane is given before a hold ends.
			return fn(ctx, m)
		}
		until := now.Add(LaneWindow)
		l, err := groupLane(ctx, p.lanes, m, until, func(context.Context) Lane { return m.Lane })
		if err != nil {
			return fmt.Errorf("sync %s/%s: %w", m.Kind, m.ID, err)
		}
		if l == m.Lane {
			return fn(ctx, m)
		}
		log.InfoContext(ctx, "message moved to its group's lane", "tenant", m.Tenant, "kind", m.Kind, "id", m.ID,
			"group_id", m.GroupID(), "from", m.Lane.String(), "to", l.String())
		p.held.put(m.GroupID(), l, until)
		m.Lane, m.LaneUntil = l, until.Unix()
		return p.send(ctx, m)
	}
}

func (p *Publisher) send(ctx context.Context, m Message) error {
	url, ok := p.urls[m.Kind]
	if !ok {
		return fmt.Errorf("publish %s/%s: no queue for kind %q", m.Kind, m.ID, m.Kind)
	}
	if b, has := p.backfill[m.Kind]; m.Lane == LaneBackfill && has {
		url = b
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	group, dedup, text := m.GroupID(), m.DedupID(), string(body)
	_, err = p.sqs.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: &url, MessageBody: &text, MessageGroupId: &group, MessageDeduplicationId: &dedup,
	})
	if err != nil {
		return fmt.Errorf("send %s/%s to queue: %w", m.Kind, m.ID, err)
	}
	return nil
}

// Defer parks m until until: the defer queue holds it back (up to
// MaxDelay at a time) and the resumer then publishes it to its kind's
// queue again. A parked message holds no FIFO group and spends none of its
// receives, so waiting never ends in a dead-letter queue.
func (p *Publisher) Defer(ctx context.Context, m Message, until time.Time) error {
	if p.deferURL == "" {
		return fmt.Errorf("defer %s/%s: no defer queue configured", m.Kind, m.ID)
	}
	if p.lanes != nil {
		// The group keeps its lane while the message is parked, and for a
		// window after it is due, so that it resumes where its group is.
		l, err := groupLane(ctx, p.lanes, m, until.Add(LaneWindow), inherited(m))
		if err != nil {
			return fmt.Errorf("defer %s/%s: %w", m.Kind, m.ID, err)
		}
		m.Lane, m.LaneUntil = l, until.Add(LaneWindow).Unix()
	}
	m.NotBefore = until.Unix()
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	text := string(body)
	delay := int32(min(max(until.Sub(p.now()), 0), MaxDelay).Round(time.Second) / time.Second)
	_, err = p.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &p.deferURL, MessageBody: &text, DelaySeconds: delay})
	if err != nil {
		return fmt.Errorf("defer %s/%s: %w", m.Kind, m.ID, err)
	}
	return nil
}
