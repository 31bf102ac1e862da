package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/billing"
)

// Sender is the slice of the SQS client the publisher uses.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Publisher sends messages to the FIFO queue of their kind.
type Publisher struct {
	sqs  Sender
	urls map[billing.Kind]string
}

// NewPublisher returns a Publisher; urls maps each kind to its queue URL.
func NewPublisher(s Sender, urls map[billing.Kind]string) *Publisher {
	return &Publisher{sqs: s, urls: urls}
}

// Publish sends m to its kind's queue, grouped by tenant#customer and
// deduplicated by tenant#kind#id#version.
func (p *Publisher) Publish(ctx context.Context, m Message) error {
	url, ok := p.urls[m.Kind]
	if !ok {
		return fmt.Errorf("publish %s/%s: no queue for kind %q", m.Kind, m.ID, m.Kind)
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
