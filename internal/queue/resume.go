package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Requeuer is what the resumer needs of a Publisher.
type Requeuer interface {
	Publish(ctx context.Context, m Message) error
	Defer(ctx context.Context, m Message, until time.Time) error
}

// ResumeHandler handles the defer queue: a message whose time has come is
// published to its kind's queue again as a deliberate re-send (its own
// nonce, so FIFO deduplication keeps it); one due later (a wait beyond
// SQS's 15 minutes) is deferred again. Failures are reported per message;
// a standard queue keeps no order to protect.
func ResumeHandler(q Requeuer, now func() time.Time, log *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, rec := range ev.Records {
			if err := resume(ctx, q, now(), rec); err != nil {
				log.WarnContext(ctx, "deferred message will be retried", "message_id", rec.MessageId, "err", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			}
		}
		return resp, nil
	}
}

// earlyResume: a message due this close is resumed rather than deferred
// for the rest (SQS delays in whole seconds).
const earlyResume = time.Second

func resume(ctx context.Context, q Requeuer, now time.Time, rec events.SQSMessage) error {
	var m Message
	if err := json.Unmarshal([]byte(rec.Body), &m); err != nil {
		return fmt.Errorf("decode deferred message: %w", err)
	}
	if due := time.Unix(m.NotBefore, 0); due.Sub(now) > earlyResume {
		return q.Defer(ctx, m, due)
	}
	m.NotBefore, m.Reason = 0, "resume"
	m.Nonce = fmt.Sprintf("resume:%d:%d", m.Attempt, now.UnixNano())
	return q.Publish(ctx, m)
}
