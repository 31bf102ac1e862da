package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/app"
)

// pollWait is the long-poll wait. Lambda waits up to 20 s; one second
// keeps shutdown quick and costs one idle request per queue per second.
const pollWait = 1

// settleTimeout bounds the deletes and visibility changes after an
// invocation, which run even while the stack shuts down.
const settleTimeout = 10 * time.Second

// eventSource polls one queue and invokes a function with batches of its
// messages, as Lambda's SQS event source mapping does: successes are
// deleted, failures (all of them when the handler errs) are left to the
// queue's visibility timeout and redrive policy, and up to concurrency
// batches run at once. On a
// FIFO queue the queue itself keeps a message group's order: a group with
// a message in flight delivers nothing more until that message is gone.
type eventSource struct {
	function    string
	queueURL    string
	queueARN    string
	sqs         *sqs.Client
	handler     app.SQSHandler
	batchSize   int32
	concurrency int
	timeout     time.Duration
	log         *slog.Logger
	activity    *activity
}

// activity tells Drain whether any invocation is running or has run.
type activity struct {
	running atomic.Int64
	started atomic.Int64
}

// run polls until ctx ends; invocations run under invokeCtx and are
// tracked by wg so the caller can wait for them.
func (e *eventSource) run(ctx, invokeCtx context.Context, wg *sync.WaitGroup) {
	slots := make(chan struct{}, e.concurrency)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		msgs, err := e.receive(ctx)
		if err != nil || len(msgs) == 0 {
			<-slots
			if err != nil && ctx.Err() == nil {
				e.log.Warn("receive failed; polling again shortly", "function", e.function, "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		e.activity.running.Add(1)
		e.activity.started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			defer e.activity.running.Add(-1)
			e.invoke(invokeCtx, msgs)
		}()
	}
}

func (e *eventSource) receive(ctx context.Context) ([]types.Message, error) {
	out, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(e.queueURL),
		MaxNumberOfMessages:         e.batchSize,
		WaitTimeSeconds:             pollWait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", e.queueURL, err)
	}
	return out.Messages, nil
}

// invoke runs one batch and settles its messages.
func (e *eventSource) invoke(ctx context.Context, msgs []types.Message) {
	ev := e.event(msgs)
	failed, err := e.call(ctx, ev)
	if err != nil {
		e.log.Warn("batch failed; every message will be retried", "function", e.function, "messages", len(msgs), "err", err)
	}
	var done []types.Message
	for _, m := range msgs {
		if failed != nil && !failed[aws.ToString(m.MessageId)] {
			done = append(done, m)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err := e.delete(sctx, done); err != nil {
		e.log.Error("delete processed messages", "function", e.function, "err", err)
	}
}

// call invokes the handler and returns the ids it reported as failed; a
// nil map means the whole batch failed: the handler erred, panicked, ran
// past its timeout or named a message that is not in the batch.
func (e *eventSource) call(ctx context.Context, ev events.SQSEvent) (failed map[string]bool, err error) {
	ev, err = viaJSON(ev)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(invocationContext(ctx, e.function), e.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			failed, err = nil, fmt.Errorf("handler panic: %v", p)
		}
	}()
	resp, err := e.handler(ctx, ev)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("function timed out after %s", e.timeout)
	}
	inBatch := map[string]bool{}
	for _, r := range ev.Records {
		inBatch[r.MessageId] = true
	}
	failed = map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			return nil, fmt.Errorf("batch item failure %q names no message of the batch", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

func (e *eventSource) event(msgs []types.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		rec := events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             m.Attributes,
			EventSourceARN:         e.queueARN, EventSource: "aws:sqs", AWSRegion: region,
		}
		if len(m.MessageAttributes) > 0 {
			rec.MessageAttributes = map[string]events.SQSMessageAttribute{}
			for k, v := range m.MessageAttributes {
				rec.MessageAttributes[k] = events.SQSMessageAttribute{
					StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: aws.ToString(v.DataType),
					StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues,
				}
			}
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev
}

func (e *eventSource) delete(ctx context.Context, msgs []types.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(e.queueURL)}
	for i, m := range msgs {
		in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	out, err := e.sqs.DeleteMessageBatch(ctx, in)
	if err != nil {
		return fmt.Errorf("delete from %s: %w", e.queueURL, err)
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("delete from %s: %d of %d failed: %s", e.queueURL, len(out.Failed), len(msgs), aws.ToString(out.Failed[0].Message))
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
