package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/billing"
)

// Client is the slice of the SQS client the service uses: sending, and
// for the dead-letter queues reading, releasing and deleting.
type Client interface {
	Sender
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// DeferQueueName names the defer queue's dead-letter queue in counts and
// listings; the kinds' are named by their kind.
const DeferQueueName = "defer"

// DeadLetter is one message in a dead-letter queue.
type DeadLetter struct {
	// Queue is the kind whose queue dead-lettered it, or "defer".
	Queue    string       `json:"queue"`
	Kind     billing.Kind `json:"kind,omitempty"`
	Tenant   string       `json:"tenant,omitempty"`
	EntityID string       `json:"entity_id,omitempty"`
	Version  int64        `json:"version,omitempty"`
	// Reason is why the message was sent (webhook, wake, resend, resume,
	// redrive), or "undecodable" for a body that is no message.
	Reason string `json:"reason"`
	// FirstSeenAt is when SQS first accepted the message (SentTimestamp).
	FirstSeenAt  time.Time `json:"first_seen_at"`
	ReceiveCount int       `json:"receive_count"`

	message Message
	receipt string
}

// QueueCount is how many messages one dead-letter queue holds.
type QueueCount struct {
	Queue string `json:"queue"`
	Count int    `json:"count"`
}

// Limits on one listing or redrive: dead-letter queues hold poison only,
// so a call that meets more says so instead of running past its
// function's timeout.
const (
	maxScan    = 1000
	scanBudget = 8 * time.Second
	// hold is how long a scanned message stays hidden before it is
	// released; longer than a scan, so no message is seen twice.
	hold = 30
)

// DeadLetters counts, lists and redrives the dead-letter queues. SQS has
// no way to read a queue without receiving: a listing receives every
// message (holding it hidden for the scan), then releases them all, so
// each listing adds one to their receive counts and costs one
// ReceiveMessage and one ChangeMessageVisibilityBatch per ten messages,
// plus one GetQueueAttributes per queue (empty queues are not received).
type DeadLetters struct {
	sqs    Client
	queues []namedQueue
	pub    *Publisher
	now    func() time.Time
}

type namedQueue struct{ name, url string }

// NewDeadLetters reads the kinds' dead-letter queues (dlqs) and the defer
// queue's (deferDLQ, "" if none); redriven messages go out through pub.
func NewDeadLetters(c Client, dlqs map[billing.Kind]string, deferDLQ string, pub *Publisher, now func() time.Time) *DeadLetters {
	if now == nil {
		now = time.Now
	}
	d := &DeadLetters{sqs: c, pub: pub, now: now}
	for _, k := range billing.Kinds {
		if u := dlqs[k]; u != "" {
			d.queues = append(d.queues, namedQueue{string(k), u})
		}
	}
	if deferDLQ != "" {
		d.queues = append(d.queues, namedQueue{DeferQueueName, deferDLQ})
	}
	return d
}

// Counts reports each dead-letter queue's depth as SQS approximates it,
// for every tenant.
func (d *DeadLetters) Counts(ctx context.Context) ([]QueueCount, error) {
	out := make([]QueueCount, 0, len(d.queues))
	for _, q := range d.queues {
		n, err := d.depth(ctx, q.url)
		if err != nil {
			return nil, err
		}
		out = append(out, QueueCount{Queue: q.name, Count: n})
	}
	return out, nil
}

// Listing is what a scan found.
type Listing struct {
	Letters []DeadLetter
	// Complete is false when the scan stopped at its limits, or when SQS
	// may have held back more of a FIFO message group (it returns no more
	// of a group while some of it is received).
	Complete bool
}

// List returns the dead letters of tenant, or of every tenant (and the
// undecodable ones) when tenant is "".
func (d *DeadLetters) List(ctx context.Context, tenant string) (Listing, error) {
	return d.scan(ctx, func(DeadLetter) (bool, error) { return false, nil }, tenant)
}

// Redrive sends each of tenant's dead letters back to its kind's queue as
// a deliberate re-send (a new nonce, so FIFO deduplication keeps it) and
// deletes it from its dead-letter queue; a deferred one goes straight to
// its kind's queue. It returns what it redrove.
func (d *DeadLetters) Redrive(ctx context.Context, tenant string) (Listing, error) {
	if tenant == "" {
		return Listing{}, fmt.Errorf("redrive: no tenant")
	}
	return d.scan(ctx, func(l DeadLetter) (bool, error) {
		m := l.message
		m.Reason, m.Nonce, m.NotBefore, m.Attempt, m.Waits = "redrive", "redrive:"+nonce(), 0, 0, 0
		if err := d.pub.Publish(ctx, m); err != nil {
			return false, err
		}
		return true, nil
	}, tenant)
}

func nonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read cannot fail
	return hex.EncodeToString(b)
}
