package queue

import (
	"context"
	"encoding/json"
	"fmt"
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

// Publish sends m to its kind's queue in its lane, grouped by
// tenant#customer and deduplicated by tenant#kind#id#version. A message
// published while a backfill message is handled (a wake-up) is backfill
// too.
func (p *Publisher) Publish(ctx context.Context, m Message) error {
	if m.Lane == LaneLive {
		m.Lane = laneOf(ctx)
	}
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
