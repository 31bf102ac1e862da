package devstack

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// deferQueue is the logical id of the queue that parks deferred syncs.
const deferQueue, deferDLQ = "DeferQueue", "DeferDLQ"

// QueueStatus is one kind's queue as SQS reports it.
type QueueStatus struct {
	Kind     billing.Kind `json:"kind"`
	Visible  int          `json:"visible"`
	InFlight int          `json:"in_flight"`
	Delayed  int          `json:"delayed"`
	// DeadLetters are the messages in the kind's dead-letter queue.
	DeadLetters int `json:"dead_letters"`
}

// Status is the stack's queues and running invocations.
type Status struct {
	Queues []QueueStatus `json:"queues"`
	// Backfill is each kind's backfill lane (its dead letters are counted
	// with the kind's queue, which shares the dead-letter queue).
	Backfill []QueueStatus `json:"backfill"`
	// Deferred is the defer queue: syncs parked until they are due; its
	// DeadLetters are deferred messages that could not be read.
	Deferred QueueStatus `json:"deferred"`
	Running  int         `json:"running_invocations"`
}

// Status reports every kind's queue depths, in billing.Kinds order.
func (s *Stack) Status(ctx context.Context) (Status, error) {
	st := Status{Running: int(s.activity.running.Load())}
	for _, k := range billing.Kinds {
		q, err := s.depth(ctx, s.resources.Queues[k])
		if err != nil {
			return Status{}, err
		}
		dlq, err := s.depth(ctx, s.resources.DLQs[k])
		if err != nil {
			return Status{}, err
		}
		q.Kind, q.DeadLetters = k, dlq.Visible+dlq.InFlight+dlq.Delayed
		st.Queues = append(st.Queues, q)
		if url := s.resources.Backfill[k]; url != "" {
			b, err := s.depth(ctx, url)
			if err != nil {
				return Status{}, err
			}
			b.Kind = k
			st.Backfill = append(st.Backfill, b)
		}
	}
	if url := s.resources.Physical[deferQueue]; url != "" {
		q, err := s.depth(ctx, url)
		if err != nil {
			return Status{}, err
		}
		dlq, err := s.depth(ctx, s.resources.Physical[deferDLQ])
		if err != nil {
			return Status{}, err
		}
		q.DeadLetters = dlq.Visible + dlq.InFlight + dlq.Delayed
		st.Deferred = q
	}
	return st, nil
}

func (s *Stack) depth(ctx context.Context, url string) (QueueStatus, error) {
	out, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return QueueStatus{}, fmt.Errorf("depth of %s: %w", url, err)
	}
	n := func(a types.QueueAttributeName) int {
		v, _ := strconv.Atoi(out.Attributes[string(a)])
		return v
	}
	return QueueStatus{
		Visible:  n(types.QueueAttributeNameApproximateNumberOfMessages),
		InFlight: n(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		Delayed:  n(types.QueueAttributeNameApproximateNumberOfMessagesDelayed),
	}, nil
}

// How Drain decides the stack is quiet: no message anywhere and no
// invocation started for drainQuiet, checked every drainTick.
const (
	drainQuiet   = 300 * time.Millisecond
	drainTick    = 50 * time.Millisecond
	drainTimeout = 2 * time.Minute
)

// Drain waits until every queue is empty (nothing visible, in flight or
// delayed), no invocation is running and none has started for a short
// while, so all work that follows from what was posted is done. Messages
// that end in a dead-letter queue count as done. Without a deadline on
// ctx it gives up after two minutes.
func (s *Stack) Drain(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, drainTimeout)
		defer cancel()
	}
	var quietSince time.Time
	var quietStarted int64
	var last string
	for {
		started := s.activity.started.Load()
		busy, err := s.busy(ctx)
		if err != nil {
			busy = err.Error()
		}
		switch {
		case busy != "" || s.activity.started.Load() != started:
			quietSince, last = time.Time{}, busy
		case quietSince.IsZero() || started != quietStarted:
			quietSince, quietStarted = time.Now(), started
		case time.Since(quietSince) >= drainQuiet:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain: %w (still busy: %s)", ctx.Err(), last)
		case <-time.After(drainTick):
		}
	}
}

// busy describes the queues that still hold messages; "" when none do.
func (s *Stack) busy(ctx context.Context) (string, error) {
	var parts []string
	for _, lane := range []struct {
		suffix string
		urls   map[billing.Kind]string
	}{{"", s.resources.Queues}, {" backfill", s.resources.Backfill}} {
		for _, k := range slices.Sorted(maps.Keys(lane.urls)) {
			q, err := s.depth(ctx, lane.urls[k])
			if err != nil {
				return "", err
			}
			if q.Visible+q.InFlight+q.Delayed > 0 {
				parts = append(parts, fmt.Sprintf("%s%s: %d visible, %d in flight, %d delayed", k, lane.suffix, q.Visible, q.InFlight, q.Delayed))
			}
		}
	}
	if url := s.resources.Physical[deferQueue]; url != "" {
		q, err := s.depth(ctx, url)
		if err != nil {
			return "", err
		}
		if q.Visible+q.InFlight+q.Delayed > 0 {
			parts = append(parts, fmt.Sprintf("deferred: %d visible, %d in flight, %d delayed", q.Visible, q.InFlight, q.Delayed))
		}
	}
	if n := s.activity.running.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d invocations running", n))
	}
	return strings.Join(parts, "; "), nil
}
