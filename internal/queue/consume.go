package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// deadlineMargin is the time left at which the handler stops starting new
// messages, so the rest are retried instead of cut off mid-write.
const deadlineMargin = 5 * time.Second

// FIFOHandler adapts fn to an SQS FIFO batch handler with partial batch
// responses. After the first failure it reports that message and every
// later one as failed, so a message group's order is kept (Lambda's FIFO
// rule). fn returns an error only for what should be retried; outcomes an
// admin must act on are recorded by fn itself and return nil.
func FIFOHandler(fn func(context.Context, Message) error, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for i, rec := range ev.Records {
			err := nearDeadline(ctx)
			if err == nil {
				err = handleOne(ctx, rec, fn, log)
			}
			if err != nil {
				log.WarnContext(ctx, "message will be retried", "message_id", rec.MessageId,
					"group_id", rec.Attributes["MessageGroupId"], "err", err, "failed", len(ev.Records)-i)
				for _, r := range ev.Records[i:] {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				}
				break
			}
		}
		return resp, nil
	}
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
	return fn(ctx, m)
}
