package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
)

type entityItem struct {
	PK            string       `dynamodbav:"pk"`
	SK            string       `dynamodbav:"sk"`
	GSI1PK        string       `dynamodbav:"gsi1pk"`
	GSI1SK        string       `dynamodbav:"gsi1sk"`
	Kind          billing.Kind `dynamodbav:"kind"`
	ID            string       `dynamodbav:"id"`
	Version       int64        `dynamodbav:"version"`
	CustomerID    string       `dynamodbav:"customer_id,omitempty"`
	Action        string       `dynamodbav:"action"`
	EventID       string       `dynamodbav:"event_id"`
	OccurredAt    time.Time    `dynamodbav:"occurred_at"`
	ReceivedAt    time.Time    `dynamodbav:"received_at"`
	Data          string       `dynamodbav:"data"`
	Status        Status       `dynamodbav:"status"`
	StatusVersion int64        `dynamodbav:"status_version"`
	Warning       *Warning     `dynamodbav:"warning,omitempty"`
	WaitingOn     string       `dynamodbav:"waiting_on,omitempty"`
	Attempts      int          `dynamodbav:"attempts"`
	UpdatedAt     time.Time    `dynamodbav:"updated_at"`
}

func entitySK(kind billing.Kind, id string) string { return "E#" + string(kind) + "#" + id }

func statusPK(tenant string, st Status) string { return tenantPK(tenant) + "#S#" + string(st) }

func (it entityItem) state(tenant string) EntityState {
	return EntityState{
		Snapshot: Snapshot{Tenant: tenant, Kind: it.Kind, ID: it.ID, Version: it.Version,
			CustomerID: it.CustomerID, Action: it.Action, EventID: it.EventID,
			OccurredAt: it.OccurredAt, ReceivedAt: it.ReceivedAt, Data: json.RawMessage(it.Data)},
		Status: it.Status, StatusVersion: it.StatusVersion, Warning: it.Warning,
		WaitingOn: it.WaitingOn, Attempts: it.Attempts, UpdatedAt: it.UpdatedAt,
	}
}

// PutSnapshot stores snap unless a newer version is stored (ErrStale). The
// same version is accepted again, so a webhook retried after a failed
// enqueue is queued again. The entity's status becomes not_tried.
func (s *Store) PutSnapshot(ctx context.Context, snap Snapshot) error {
	occurred, err := attributevalue.Marshal(snap.OccurredAt.UTC())
	if err != nil {
		return err
	}
	received, err := attributevalue.Marshal(snap.ReceivedAt.UTC())
	if err != nil {
		return err
	}
	sk := entitySK(snap.Kind, snap.ID)
	vals := map[string]types.AttributeValue{
		":v": num(snap.Version), ":kind": str(string(snap.Kind)), ":id": str(snap.ID),
		":cust": str(snap.CustomerID), ":act": str(snap.Action), ":ev": str(snap.EventID),
		":occ": occurred, ":rec": received, ":data": str(string(snap.Data)),
		":st": str(string(StatusNotTried)), ":gpk": str(statusPK(snap.Tenant, StatusNotTried)),
		":gsk": str(string(snap.Kind) + "#" + snap.ID), ":zero": num(0),
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(snap.Tenant), sk),
		ConditionExpression: aws.String("attribute_not_exists(version) OR version <= :v"),
		UpdateExpression: aws.String("SET version = :v, kind = :kind, id = :id, customer_id = :cust, " +
			"#action = :act, event_id = :ev, occurred_at = :occ, received_at = :rec, #data = :data, " +
			"#status = :st, status_version = :v, gsi1pk = :gpk, gsi1sk = :gsk, updated_at = :rec, " +
			"attempts = :zero REMOVE warning, waiting_on"),
		ExpressionAttributeNames:  map[string]string{"#action": "action", "#data": "data", "#status": "status"},
		ExpressionAttributeValues: vals,
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return ErrStale
	}
	if err != nil {
		return fmt.Errorf("put snapshot %s/%s v%d: %w", snap.Kind, snap.ID, snap.Version, err)
	}
	return nil
}

// Entity loads an entity's snapshot and status.
func (s *Store) Entity(ctx context.Context, tenant string, kind billing.Kind, id string) (EntityState, error) {
	var it entityItem
	if err := s.get(ctx, tenantPK(tenant), entitySK(kind, id), &it); err != nil {
		return EntityState{}, err
	}
	return it.state(tenant), nil
}

// StatusUpdate is the outcome of one sync attempt of a snapshot version.
type StatusUpdate struct {
	Status    Status
	Version   int64 // the snapshot version the outcome is about
	Warning   *Warning
	WaitingOn string
}

// SetStatus records u unless a newer snapshot arrived meanwhile (ErrStale):
// the newer version's own message will set its status.
func (s *Store) SetStatus(ctx context.Context, tenant string, kind billing.Kind, id string, u StatusUpdate) error {
	vals := map[string]types.AttributeValue{
		":v": num(u.Version), ":st": str(string(u.Status)), ":gpk": str(statusPK(tenant, u.Status)),
		":now": mustTime(s.now()), ":one": num(1),
	}
	set := "SET #status = :st, status_version = :v, gsi1pk = :gpk, updated_at = :now, attempts = attempts + :one"
	var remove []string
	if u.Warning != nil {
		w, err := attributevalue.Marshal(u.Warning)
		if err != nil {
			return err
		}
		vals[":w"] = w
		set += ", warning = :w"
	} else {
		remove = append(remove, "warning")
	}
	if u.WaitingOn != "" {
		vals[":wo"] = str(u.WaitingOn)
		set += ", waiting_on = :wo"
	} else {
		remove = append(remove, "waiting_on")
	}
	expr := set
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), entitySK(kind, id)),
		ConditionExpression:       aws.String("version = :v"),
		UpdateExpression:          &expr,
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: vals,
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return ErrStale
	}
	if err != nil {
		return fmt.Errorf("set status of %s/%s: %w", kind, id, err)
	}
	return nil
}

// EntitiesByStatus lists a tenant's entities in status st through the
// status index, optionally only those of kind (empty: all kinds).
func (s *Store) EntitiesByStatus(ctx context.Context, tenant string, st Status, kind billing.Kind) ([]EntityState, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(StatusIndex),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(statusPK(tenant, st))},
	}
	if kind != "" {
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :k)")
		in.ExpressionAttributeValues[":k"] = str(string(kind) + "#")
	}
	var out []EntityState
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query %s entities of %s: %w", st, tenant, err)
		}
		for _, av := range res.Items {
			var it entityItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("decode entity: %w", err)
			}
			out = append(out, it.state(tenant))
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func mustTime(t time.Time) types.AttributeValue {
	av, _ := attributevalue.Marshal(t.UTC()) // a time always encodes
	return av
}
