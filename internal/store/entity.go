package store

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

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
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
	Data          snapshotData `dynamodbav:"data"`
	Status        Status       `dynamodbav:"status"`
	StatusVersion int64        `dynamodbav:"status_version"`
	Warning       *Warning     `dynamodbav:"warning,omitempty"`
	WaitingOn     string       `dynamodbav:"waiting_on,omitempty"`
	Attempts      int          `dynamodbav:"attempts"`
	UpdatedAt     time.Time    `dynamodbav:"updated_at"`
	// Since is when the entity became unsynced (kept while it stays
	// unsynced) or entered its settled status; the status index sorts by it.
	Since     time.Time  `dynamodbav:"since"`
	Dismissal *Dismissal `dynamodbav:"dismissal,omitempty"`
	// Rev counts the item's writes (absent on items written before it
	// existed), so a write decided from a remembered read is conditional
	// on nothing having changed since, whatever the attribute.
	Rev int64 `dynamodbav:"rev,omitempty"`
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
// same version again changes nothing: with the same content it is an
// *UnchangedError carrying the status (a webhook retried after a failed
// enqueue then queues it again), with other content a
// *VersionConflictError. A new version's status becomes not_tried, and
// the tenant's counters move with it.
func (s *Store) PutSnapshot(ctx context.Context, snap Snapshot) error {
	occurred, err := attributevalue.Marshal(snap.OccurredAt.UTC())
	if err != nil {
		return err
	}
	received, err := attributevalue.Marshal(snap.ReceivedAt.UTC())
	if err != nil {
		return err
	}
	data, err := snapshotData(snap.Data).MarshalDynamoDBAttributeValue()
	if err != nil {
		return err
	}
	// An entity's first event is nearly always its creation: that write
	// is tried without reading first, and a refusal reads and decides again.
	expectNew := snap.Action == billing.ActionCreated
	err = s.transition(ctx, snap.Tenant, snap.Kind, snap.ID, expectNew, func(cur *entityItem) (change, error) {
		if cur != nil && cur.Version > snap.Version {
			return change{}, ErrStale
		}
		if cur != nil && cur.Version == snap.Version {
			return change{}, record.SameVersion(cur.state(snap.Tenant), snap.Data)
		}
		c := change{status: StatusNotTried, names: map[string]string{"#action": "action", "#data": "data"},
			remove: []string{"warning", "waiting_on", "dismissal"}}
		c.setValue("version = :v", ":v", num(snap.Version))
		c.setValue("status_version = :v", ":v", num(snap.Version))
		c.setValue("kind = :kind", ":kind", str(string(snap.Kind)))
		c.setValue("id = :id", ":id", str(snap.ID))
		c.setValue("customer_id = :cust", ":cust", str(snap.CustomerID))
		c.setValue("#action = :act", ":act", str(snap.Action))
		c.setValue("event_id = :ev", ":ev", str(snap.EventID))
		c.setValue("occurred_at = :occ", ":occ", occurred)
		c.setValue("received_at = :rec", ":rec", received)
		c.setValue("updated_at = :rec", ":rec", received)
		c.setValue("#data = :data", ":data", data)
		c.setValue("attempts = :zero", ":zero", num(0))
		return c, nil
	})
	var unchanged *UnchangedError
	var conflict *VersionConflictError
	if errors.Is(err, ErrStale) || errors.As(err, &unchanged) || errors.As(err, &conflict) {
		return err
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
	s.recent.remember(tenant, it, s.now())
	return it.state(tenant), nil
}

// SetStatus records u unless a newer snapshot arrived meanwhile (ErrStale):
// the newer version's own message will set its status. The attempt is
// kept in the entity's history and the tenant's counters move with it.
func (s *Store) SetStatus(ctx context.Context, tenant string, kind billing.Kind, id string, u StatusUpdate) error {
	now := s.now().UTC()
	err := s.transition(ctx, tenant, kind, id, false, func(cur *entityItem) (change, error) {
		if cur == nil || cur.Version != u.Version {
			return change{}, ErrStale
		}
		c := change{status: u.Status, notice: u.Warning != nil && u.Warning.Notice, remove: []string{"dismissal"}}
		c.setValue("status_version = :v", ":v", num(u.Version))
		c.setValue("updated_at = :now", ":now", mustTime(now))
		c.setValue("attempts = attempts + :one", ":one", num(1))
		if u.Warning != nil {
			w, err := attributevalue.Marshal(u.Warning)
			if err != nil {
				return change{}, err
			}
			c.setValue("warning = :w", ":w", w)
		} else {
			c.remove = append(c.remove, "warning")
		}
		if u.WaitingOn != "" {
			c.setValue("waiting_on = :wo", ":wo", str(u.WaitingOn))
		} else {
			c.remove = append(c.remove, "waiting_on")
		}
		h, err := s.historyPut(tenant, kind, id, HistoryEntry{At: now, Type: HistoryAttempt, Status: u.Status,
			Version: u.Version, Warning: u.Warning, WaitingOn: u.WaitingOn})
		if err != nil {
			return change{}, err
		}
		c.extra = append(c.extra, h)
		return c, nil
	})
	if errors.Is(err, ErrStale) {
		return ErrStale
	}
	if err != nil {
		return fmt.Errorf("set status of %s/%s: %w", kind, id, err)
	}
	return nil
}

// EntitiesByStatus lists a tenant's entities in status st through the
// status index, optionally only those of kind (empty: all kinds), kinds
// top-down and the longest in their state first.
func (s *Store) EntitiesByStatus(ctx context.Context, tenant string, st Status, kind billing.Kind) ([]EntityState, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(StatusIndex),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(statusPK(tenant, st))},
	}
	if kind != "" {
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :k)")
		in.ExpressionAttributeValues[":k"] = str(kindPrefix(kind))
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
