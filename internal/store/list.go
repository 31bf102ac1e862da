package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// EntityRecord is an entity's state with what admins see besides.
type EntityRecord struct {
	EntityState
	// Since is when the entity became unsynced (while it stays unsynced)
	// or entered its settled status.
	Since     time.Time
	Dismissal *Dismissal
}

func (it entityItem) record(tenant string) EntityRecord {
	return EntityRecord{EntityState: it.state(tenant), Since: it.Since, Dismissal: it.Dismissal}
}

// EntityRecord loads an entity with its dismissal and since time.
func (s *Store) EntityRecord(ctx context.Context, tenant string, kind billing.Kind, id string) (EntityRecord, error) {
	var it entityItem
	if err := s.get(ctx, tenantPK(tenant), entitySK(kind, id), &it); err != nil {
		return EntityRecord{}, err
	}
	return it.record(tenant), nil
}

// ListQuery selects a page of one status's entities.
type ListQuery struct {
	Status Status
	Kind   billing.Kind // empty: every kind, top-down
	// Since keeps entities that entered their state at or after it; it
	// needs Kind.
	Since  time.Time
	Limit  int
	Cursor string // from the previous page; empty for the first
}

// ListEntities returns one page of q's entities, kinds top-down (customers
// first) and the longest in their state first, and the cursor of the next
// page ("" after the last). It reads only the page, whatever the total.
func (s *Store) ListEntities(ctx context.Context, tenant string, q ListQuery) ([]EntityRecord, string, error) {
	pk := statusPK(tenant, q.Status)
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(StatusIndex),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		Limit:                     aws.Int32(int32(max(1, min(q.Limit, 500)))),
	}
	switch {
	case q.Kind != "" && !q.Since.IsZero():
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to")
		in.ExpressionAttributeValues[":from"] = str(kindPrefix(q.Kind) + sortTime(q.Since))
		in.ExpressionAttributeValues[":to"] = str(kindPrefix(q.Kind) + "~")
	case q.Kind != "":
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :k)")
		in.ExpressionAttributeValues[":k"] = str(kindPrefix(q.Kind))
	case !q.Since.IsZero():
		return nil, "", errors.New("list entities: since needs a kind")
	}
	if q.Cursor != "" {
		start, err := DecodeCursor(q.Cursor, CursorScope{PK: tenantPK(tenant), GSIPK: pk})
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list %s entities of %s: %w", q.Status, tenant, err)
	}
	out := make([]EntityRecord, 0, len(res.Items))
	for _, av := range res.Items {
		var it entityItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, "", fmt.Errorf("decode entity: %w", err)
		}
		out = append(out, it.record(tenant))
	}
	next, err := EncodeCursor(res.LastEvaluatedKey)
	return out, next, err
}

// Oldest returns the entity of kind that has been in status st the
// longest: one Query with Limit 1. ok is false when there is none.
func (s *Store) Oldest(ctx context.Context, tenant string, kind billing.Kind, st Status) (EntityRecord, bool, error) {
	page, _, err := s.ListEntities(ctx, tenant, ListQuery{Status: st, Kind: kind, Limit: 1})
	if err != nil || len(page) == 0 {
		return EntityRecord{}, false, err
	}
	return page[0], true, nil
}

// DependentsPage returns up to limit entities waiting for parent, and
// whether there are more.
func (s *Store) DependentsPage(ctx context.Context, tenant string, parent billing.Ref, limit int) ([]Dependent, bool, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(tenant)), ":p": str(depPrefix(parent.Kind, parent.ID)),
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, false, fmt.Errorf("dependents of %s: %w", parent, err)
	}
	out := make([]Dependent, 0, len(res.Items))
	for _, av := range res.Items {
		var it depItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, false, fmt.Errorf("decode dependent: %w", err)
		}
		out = append(out, Dependent{Kind: it.ChildKind, ID: it.ChildID, CustomerID: it.CustomerID})
	}
	return out, res.LastEvaluatedKey != nil, nil
}
