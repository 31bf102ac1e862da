package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

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
