package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

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

// scan receives every queue's messages, passes tenant's (every decodable
// one's when tenant is "") to take, deletes those take consumed and
// releases the rest.
func (d *DeadLetters) scan(ctx context.Context, take func(DeadLetter) (bool, error), tenant string) (Listing, error) {
	out := Listing{Complete: true}
	deadline, seen := d.now().Add(scanBudget), 0
	for _, q := range d.queues {
		n, err := d.depth(ctx, q.url)
		if err != nil || n == 0 {
			if err != nil {
				return out, err
			}
			continue
		}
		before := seen
		held, complete, err := d.scanQueue(ctx, q, tenant, take, &out, &seen, deadline)
		// Fewer received than SQS counts: another scan holds the rest.
		complete = complete && seen-before >= n
		if rerr := d.release(ctx, q.url, held); err == nil {
			err = rerr
		}
		if err != nil {
			return out, err
		}
		out.Complete = out.Complete && complete
	}
	return out, nil
}

func (d *DeadLetters) scanQueue(ctx context.Context, q namedQueue, tenant string, take func(DeadLetter) (bool, error),
	out *Listing, seen *int, deadline time.Time) (held []string, complete bool, err error) {
	for {
		if *seen >= maxScan || d.now().After(deadline) {
			return held, false, nil
		}
		resp, err := d.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(q.url), MaxNumberOfMessages: 10, VisibilityTimeout: hold,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return held, false, fmt.Errorf("receive dead letters of %s: %w", q.name, err)
		}
		if len(resp.Messages) == 0 {
			return held, true, nil
		}
		groups := map[string]int{}
		for _, msg := range resp.Messages {
			*seen++
			l := decodeLetter(q.name, msg)
			groups[msg.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]]++
			if tenant != "" && l.Tenant != tenant {
				held = append(held, l.receipt)
				continue
			}
			done, err := take(l)
			if err != nil {
				return append(held, l.receipt), false, fmt.Errorf("redrive %s/%s: %w", l.Kind, l.EntityID, err)
			}
			if !done {
				held = append(held, l.receipt)
				out.Letters = append(out.Letters, l)
				continue
			}
			if _, err := d.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(l.receipt)}); err != nil {
				// Sent but not deleted: the entity is queued again, and
				// a second redrive of the leftover is harmless.
				return held, false, fmt.Errorf("delete redriven %s/%s: %w", l.Kind, l.EntityID, err)
			}
			out.Letters = append(out.Letters, l)
		}
		for g, n := range groups {
			if g != "" && n >= 10 {
				out.Complete = false
			}
		}
	}
}

func decodeLetter(queue string, msg types.Message) DeadLetter {
	l := DeadLetter{Queue: queue, Reason: "undecodable", receipt: aws.ToString(msg.ReceiptHandle)}
	if ms, err := strconv.ParseInt(msg.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		l.FirstSeenAt = time.UnixMilli(ms).UTC()
	}
	l.ReceiveCount, _ = strconv.Atoi(msg.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	var m Message
	if err := json.Unmarshal([]byte(aws.ToString(msg.Body)), &m); err != nil || m.Tenant == "" || !m.Kind.Valid() || m.ID == "" {
		return l
	}
	l.message, l.Kind, l.Tenant, l.EntityID, l.Version, l.Reason = m, m.Kind, m.Tenant, m.ID, m.Version, m.Reason
	return l
}

// release makes held messages visible again at once.
func (d *DeadLetters) release(ctx context.Context, url string, receipts []string) error {
	for len(receipts) > 0 {
		n := min(len(receipts), 10)
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, n)
		for i, r := range receipts[:n] {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r)}
		}
		out, err := d.sqs.ChangeMessageVisibilityBatch(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			return fmt.Errorf("release dead letters: %w", err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("release dead letters: %d not released: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
		receipts = receipts[n:]
	}
	return nil
}

func (d *DeadLetters) depth(ctx context.Context, url string) (int, error) {
	out, err := d.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return 0, fmt.Errorf("depth of dead-letter queue %s: %w", url, err)
	}
	n := 0
	for _, v := range out.Attributes {
		i, _ := strconv.Atoi(v)
		n += i
	}
	return n, nil
}
