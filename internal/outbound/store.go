package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/store"
)

// DB is the slice of the DynamoDB client the outbound store uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Sender is the slice of the SQS client that schedules deliveries.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Retention is how long an event is remembered: a cause recorded again
// within it is not sent twice.
const Retention = 90 * 24 * time.Hour

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	// StatusFailed: every attempt failed; an admin may redeliver.
	StatusFailed = "failed"
)

// ErrNotFound: no such event for the tenant.
var ErrNotFound = errors.New("outbound event not found")

// Store keeps outbound events in the service's one table and schedules
// their delivery on the outbound queue.
type Store struct {
	db       DB
	table    string
	sqs      Sender
	queueURL string
	now      func() time.Time
	sealer   Sealer // nil: endpoint secrets can be neither stored nor read
}

// NewStore returns a Store on table whose deliveries go to queueURL. now
// may be nil (time.Now).
func NewStore(db DB, table string, s Sender, queueURL string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, table: table, sqs: s, queueURL: queueURL, now: now}
}

// eventItem is one event and the state of its delivery.
type eventItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	GSIPK      string    `dynamodbav:"gsi1pk"`
	GSISK      string    `dynamodbav:"gsi1sk"`
	ID         string    `dynamodbav:"id"`
	Type       string    `dynamodbav:"type"`
	OccurredAt time.Time `dynamodbav:"occurred_at"`
	Data       string    `dynamodbav:"data"`
	RecordedAt time.Time `dynamodbav:"recorded_at"`
	// Queued is set once a delivery message was sent for the event.
	Queued     bool      `dynamodbav:"queued"`
	Status     string    `dynamodbav:"status"`
	Attempts   int       `dynamodbav:"attempts"`
	NextAt     time.Time `dynamodbav:"next_at,unixtime"`
	LeaseUntil time.Time `dynamodbav:"lease_until,unixtime"`
	// Answers are the receiver's answers to the latest attempts, oldest
	// first, at most keptAnswers.
	Answers   []Answer `dynamodbav:"answers"`
	ExpiresAt int64    `dynamodbav:"expires_at"`
}

func eventSK(id string) string   { return "OB#" + id }
func logPK(tenant string) string { return store.TenantPK(tenant) + "#OB" }

// Record stores e once per (tenant, ID) and schedules its delivery. A
// second Record of the same ID changes nothing and returns nil, so callers
// may record a cause as often as they observe it. A Record whose first
// call stored the event but failed to schedule it schedules it now.
func (s *Store) Record(ctx context.Context, e Event) error {
	if e.Tenant == "" || e.ID == "" || e.Type == "" {
		return fmt.Errorf("record outbound event %q of %q: tenant, id and type are required", e.ID, e.Tenant)
	}
	if len(e.Data) == 0 || !json.Valid(e.Data) {
		return fmt.Errorf("record outbound event %s: data is not JSON", e.ID)
	}
	now := s.now().UTC()
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	it := eventItem{
		PK: store.TenantPK(e.Tenant), SK: eventSK(e.ID),
		GSIPK: logPK(e.Tenant), GSISK: now.Format(time.RFC3339Nano) + "#" + e.ID,
		ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt.UTC(), Data: string(e.Data),
		RecordedAt: now, Status: StatusPending, NextAt: now, ExpiresAt: now.Add(Retention).Unix(),
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("encode outbound event %s: %w", e.ID, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	var cf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &cf):
		return s.scheduleIfUnqueued(ctx, e.Tenant, e.ID)
	case err != nil:
		return fmt.Errorf("record outbound event %s of %s: %w", e.ID, e.Tenant, err)
	}
	return s.schedule(ctx, e.Tenant, e.ID)
}

// scheduleIfUnqueued finishes a Record that stored the event but did not
// get to send its delivery message.
func (s *Store) scheduleIfUnqueued(ctx context.Context, tenant, id string) error {
	it, err := s.item(ctx, tenant, id)
	if err != nil {
		return err
	}
	if it.Queued {
		return nil
	}
	return s.schedule(ctx, tenant, id)
}

// schedule sends the event's delivery message now and marks it queued.
func (s *Store) schedule(ctx context.Context, tenant, id string) error {
	if err := s.send(ctx, tenant, id, 0); err != nil {
		return err
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: store.Key(store.TenantPK(tenant), eventSK(id)),
		UpdateExpression: aws.String("SET queued = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": &types.AttributeValueMemberBOOL{Value: true},
		},
	})
	if err != nil {
		return fmt.Errorf("mark outbound event %s queued: %w", id, err)
	}
	return nil
}

// message is the body of a delivery message: which event to deliver.
type message struct {
	Tenant string `json:"tenant"`
	ID     string `json:"id"`
}

// maxDelay is the longest delay SQS gives one message.
const maxDelay = 15 * time.Minute

func (s *Store) send(ctx context.Context, tenant, id string, delay time.Duration) error {
	body, err := json.Marshal(message{Tenant: tenant, ID: id})
	if err != nil {
		return fmt.Errorf("encode delivery of %s: %w", id, err)
	}
	text := string(body)
	secs := int32(min(max(delay, 0), maxDelay).Round(time.Second) / time.Second)
	_, err = s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &s.queueURL, MessageBody: &text, DelaySeconds: secs})
	if err != nil {
		return fmt.Errorf("schedule delivery of outbound event %s of %s: %w", id, tenant, err)
	}
	return nil
}

func (s *Store) item(ctx context.Context, tenant, id string) (eventItem, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: store.Key(store.TenantPK(tenant), eventSK(id)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return eventItem{}, fmt.Errorf("read outbound event %s of %s: %w", id, tenant, err)
	}
	if res.Item == nil {
		return eventItem{}, fmt.Errorf("outbound event %s of %s: %w", id, tenant, ErrNotFound)
	}
	var it eventItem
	if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
		return eventItem{}, fmt.Errorf("decode outbound event %s of %s: %w", id, tenant, err)
	}
	return it, nil
}
