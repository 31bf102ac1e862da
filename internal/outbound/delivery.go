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

	"github.com/qbosync/qbosync/internal/store"
)

// Answer is what the receiver answered one delivery attempt: its HTTP
// status and the start of its body, or why no answer came.
type Answer struct {
	At     time.Time `dynamodbav:"at" json:"at"`
	Status int       `dynamodbav:"status,omitempty" json:"status,omitempty"`
	Body   string    `dynamodbav:"body,omitempty" json:"body,omitempty"`
	Error  string    `dynamodbav:"error,omitempty" json:"error,omitempty"`
}

// Delivery is an event together with the state of its delivery.
type Delivery struct {
	Event
	Status     string
	Attempts   int
	RecordedAt time.Time
	// NextAt is when the next attempt is due (pending deliveries).
	NextAt time.Time
	// Answers are the receiver's answers to the latest attempts, oldest
	// first.
	Answers []Answer
}

// keptAnswers is how many answers the log keeps per event.
const keptAnswers = 5

// Last is the answer to the latest attempt; nil before the first.
func (d Delivery) Last() *Answer {
	if len(d.Answers) == 0 {
		return nil
	}
	return &d.Answers[len(d.Answers)-1]
}

func (it eventItem) delivery(tenant string) Delivery {
	return Delivery{
		Event:  Event{ID: it.ID, Tenant: tenant, Type: it.Type, OccurredAt: it.OccurredAt, Data: json.RawMessage(it.Data)},
		Status: it.Status, Attempts: it.Attempts, RecordedAt: it.RecordedAt, NextAt: it.NextAt, Answers: it.Answers,
	}
}

// Delivery returns the tenant's event id and its delivery state;
// ErrNotFound when the tenant recorded no such event.
func (s *Store) Delivery(ctx context.Context, tenant, id string) (Delivery, error) {
	it, err := s.item(ctx, tenant, id)
	if err != nil {
		return Delivery{}, err
	}
	return it.delivery(tenant), nil
}

// appendAnswer keeps the latest keptAnswers answers.
func appendAnswer(old []Answer, a Answer) (types.AttributeValue, error) {
	list := append(old, a)
	list = list[max(0, len(list)-keptAnswers):]
	av, err := attributevalue.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("encode delivery answer: %w", err)
	}
	return av, nil
}

// ErrBadCursor: a cursor that this listing did not produce.
var ErrBadCursor = store.ErrBadCursor

// Deliveries returns a page of the tenant's delivery log, newest first,
// and the cursor of the next page ("" after the last). status ""
// lists every status.
func (s *Store) Deliveries(ctx context.Context, tenant, status string, limit int, cursor string) ([]Delivery, string, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(statusIndex),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: logPK(tenant)}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(max(1, min(limit, 200)))),
	}
	if status != "" {
		in.FilterExpression = aws.String("#st = :st")
		in.ExpressionAttributeNames = map[string]string{"#st": "status"}
		in.ExpressionAttributeValues[":st"] = &types.AttributeValueMemberS{Value: status}
	}
	if cursor != "" {
		start, err := store.DecodeCursor(cursor, store.CursorScope{PK: store.TenantPK(tenant), GSIPK: logPK(tenant), SKPrefix: "OB#"})
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries of %s: %w", tenant, err)
	}
	out := make([]Delivery, 0, len(res.Items))
	for _, av := range res.Items {
		var it eventItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, "", fmt.Errorf("decode delivery: %w", err)
		}
		out = append(out, it.delivery(tenant))
	}
	next, err := store.EncodeCursor(res.LastEvaluatedKey)
	return out, next, err
}

// statusIndex is the table's one index (template.yaml).
const statusIndex = "status-index"

// Redeliver sends the event again now, whatever its status: the
// receiver lost it, or every attempt failed and the endpoint is fixed.
// The attempts start again from zero; an attempt in flight is
// superseded.
func (s *Store) Redeliver(ctx context.Context, tenant, id string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: store.Key(store.TenantPK(tenant), eventSK(id)),
		UpdateExpression:         aws.String("SET #st = :pending, attempts = :zero, next_at = :now, lease_until = :never"),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": &types.AttributeValueMemberS{Value: StatusPending}, ":zero": unixN(0),
			":now": unix(s.now()), ":never": unix(time.Time{}),
		},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return fmt.Errorf("redeliver %s of %s: %w", id, tenant, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("redeliver %s of %s: %w", id, tenant, err)
	}
	return s.send(ctx, tenant, id, 0)
}
