package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/billing"
)

// PutDeadLetter puts body straight into kind's dead-letter queue (the
// defer queue's when kind is ""), as SQS's redrive policy moves a message
// that failed all its receives. group is the FIFO message group
// (tenant#customer); the defer queue's is a standard queue and takes none.
func (s *Stack) PutDeadLetter(ctx context.Context, kind billing.Kind, group, body string) error {
	in := &sqs.SendMessageInput{MessageBody: aws.String(body)}
	if kind == "" {
		in.QueueUrl = aws.String(s.resources.Physical[deferDLQ])
	} else {
		sum := sha256.Sum256([]byte(body))
		in.QueueUrl = aws.String(s.resources.DLQs[kind])
		in.MessageGroupId, in.MessageDeduplicationId = aws.String(group), aws.String(hex.EncodeToString(sum[:]))
	}
	if _, err := s.sqs.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("put dead letter on %s: %w", aws.ToString(in.QueueUrl), err)
	}
	return nil
}
