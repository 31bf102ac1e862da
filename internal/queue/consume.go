package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// deadlineMargin is the time left at which the handler stops starting new
// messages, so the rest are retried instead of cut off mid-write.
const deadlineMargin = 5 * time.Second

// Joiner lets the message groups of one batch run together: each group's
// handling runs under the context Join returns, and calls leave when done
// (a qbobatch.Round sends their QuickBooks creates as one batch).
type Joiner interface {
	Join(ctx context.Context) (context.Context, func())
}

// FIFOHandler adapts fn to an SQS FIFO batch handler with partial batch
// responses. Message groups (one customer each) run concurrently, each in
// order; after a failure in a group that message and the group's later
// ones are reported as failed, so the group's order is kept (Lambda's
// FIFO rule). fn returns an error only for what should be retried;
// outcomes an admin must act on, and waits, are recorded by fn itself and
// return nil. round, when not nil, gives each invocation the Joiner its
// groups join: one invocation's groups only, as on Lambda.
func FIFOHandler(fn func(context.Context, Message) error, round func() Joiner, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		groups, order := byGroup(ev.Records)
		failed := make([][]events.SQSMessage, len(order))
		var join Joiner
		if round != nil {
			join = round()
		}
		var wg sync.WaitGroup
		for i, g := range order {
			gctx, leave := ctx, func() {}
			if join != nil {
				gctx, leave = join.Join(ctx)
			}
			wg.Go(func() {
				defer leave()
				failed[i] = handleGroup(gctx, groups[g], fn, log)
			})
		}
		wg.Wait()
		var resp events.SQSEventResponse
		for _, recs := range failed {
			for _, r := range recs {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
}

// byGroup splits records by message group, keeping their order.
func byGroup(recs []events.SQSMessage) (map[string][]events.SQSMessage, []string) {
	groups := map[string][]events.SQSMessage{}
	var order []string
	for _, r := range recs {
		g := r.Attributes["MessageGroupId"]
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], r)
	}
	return groups, order
}

// handleGroup handles one group's messages in order and returns the ones
// to retry: from the first failure on.
func handleGroup(ctx context.Context, recs []events.SQSMessage, fn func(context.Context, Message) error, log *slog.Logger) []events.SQSMessage {
	for i, rec := range recs {
		err := nearDeadline(ctx)
		if err == nil {
			err = handleOne(ctx, rec, fn, log)
		}
		if err != nil {
			log.WarnContext(ctx, "message will be retried", "message_id", rec.MessageId,
				"group_id", rec.Attributes["MessageGroupId"], "err", err, "failed", len(recs)-i)
			return recs[i:]
		}
	}
	return nil
}

func nearDeadline(ctx context.Context) error {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < deadlineMargin {
		return fmt.Errorf("too close to the function deadline")
	}
	return nil
}

func handleOne(ctx context.Context, rec events.SQSMessage, fn func(context.Context, Message) error, log *slog.Logger) error {
	var m Message
	if err := json.Unmarshal([]byte(rec.Body), &m); err != nil {
		// A body that cannot be decoded will never succeed; dropping it
		// (loudly) beats blocking its group until the DLQ takes it.
		log.ErrorContext(ctx, "dropping undecodable message", "message_id", rec.MessageId, "err", err)
		return nil
	}
	return fn(withLane(ctx, m.Lane), m)
}
