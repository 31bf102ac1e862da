package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// historyTTL bounds an entity's history: attempts older than this expire.
const historyTTL = 90 * 24 * time.Hour

// History entry types.
const (
	// HistoryAttempt is a sync attempt's outcome, recorded with the status.
	HistoryAttempt = "attempt"
	// HistoryAdmin is an admin's action on the entity.
	HistoryAdmin = "admin"
)

// HistoryEntry is one line of an entity's history.
type HistoryEntry struct {
	At        time.Time `dynamodbav:"at" json:"at"`
	Type      string    `dynamodbav:"type" json:"type"`
	Status    Status    `dynamodbav:"status,omitempty" json:"status,omitempty"`
	Version   int64     `dynamodbav:"version,omitempty" json:"version,omitempty"`
	Warning   *Warning  `dynamodbav:"warning,omitempty" json:"warning,omitempty"`
	WaitingOn string    `dynamodbav:"waiting_on,omitempty" json:"waiting_on,omitempty"`
	// Action, By and Reason describe an admin's action.
	Action string `dynamodbav:"action,omitempty" json:"action,omitempty"`
	By     string `dynamodbav:"by,omitempty" json:"by,omitempty"`
	Reason string `dynamodbav:"reason,omitempty" json:"reason,omitempty"`
}

type historyItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
	HistoryEntry
}

func historyPrefix(kind billing.Kind, id string) string {
	return "H#" + string(kind) + "#" + id + "#"
}

// historyPut is the transaction item recording e; the random suffix keeps
// two entries of the same microsecond apart.
func (s *Store) historyPut(tenant string, kind billing.Kind, id string, e HistoryEntry) (types.TransactWriteItem, error) {
	it := historyItem{PK: tenantPK(tenant), SK: historyPrefix(kind, id) + sortTime(e.At) + "#" + randomHex(3),
		ExpiresAt: e.At.Add(historyTTL).Unix(), HistoryEntry: e}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode history: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}, nil
}

// History returns the newest limit entries of an entity's history, newest first.
func (s *Store) History(ctx context.Context, tenant string, kind billing.Kind, id string, limit int) ([]HistoryEntry, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(tenant)), ":p": str(historyPrefix(kind, id)),
		},
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s/%s: %w", kind, id, err)
	}
	out := make([]HistoryEntry, 0, len(res.Items))
	for _, av := range res.Items {
		var it historyItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode history: %w", err)
		}
		out = append(out, it.HistoryEntry)
	}
	return out, nil
}

// AuditEntry is an admin's action, kept in the tenant's audit log.
type AuditEntry struct {
	At     time.Time    `dynamodbav:"at" json:"at"`
	By     string       `dynamodbav:"by" json:"by"`
	Action string       `dynamodbav:"action" json:"action"`
	Kind   billing.Kind `dynamodbav:"kind,omitempty" json:"kind,omitempty"`
	ID     string       `dynamodbav:"id,omitempty" json:"id,omitempty"`
	Reason string       `dynamodbav:"reason,omitempty" json:"reason,omitempty"`
	Detail string       `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
	Count  int          `dynamodbav:"count,omitempty" json:"count,omitempty"`
}

type auditItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	AuditEntry
}

const auditPrefix = "AU#"

func (s *Store) auditPut(tenant string, e AuditEntry) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(auditItem{PK: tenantPK(tenant),
		SK: auditPrefix + sortTime(e.At) + "#" + randomHex(3), AuditEntry: e})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode audit entry: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}}, nil
}

// Audit records an admin's action that changes no entity (settings, a
// resend of many entities).
func (s *Store) Audit(ctx context.Context, tenant string, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	put, err := s.auditPut(tenant, e)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: put.Put.Item})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns the newest limit entries of the tenant's audit log,
// newest first.
func (s *Store) AuditLog(ctx context.Context, tenant string, limit int) ([]AuditEntry, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(tenant)), ":p": str(auditPrefix),
		},
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: %w", tenant, err)
	}
	out := make([]AuditEntry, 0, len(res.Items))
	for _, av := range res.Items {
		var it auditItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode audit entry: %w", err)
		}
		out = append(out, it.AuditEntry)
	}
	return out, nil
}

// Dismissal says who chose to ignore an entity's warning, when and why.
type Dismissal struct {
	By     string    `dynamodbav:"by" json:"by"`
	At     time.Time `dynamodbav:"at" json:"at"`
	Reason string    `dynamodbav:"reason" json:"reason"`
}

// ErrWrongStatus: the entity is not in a status the action applies to.
var ErrWrongStatus = errors.New("entity is not in a status this action applies to")

// Dismiss moves an entity with a warning to dismissed, keeping the warning
// and recording who, when and why in its history and the audit log.
func (s *Store) Dismiss(ctx context.Context, tenant string, kind billing.Kind, id string, d Dismissal) error {
	d.At = s.now().UTC()
	dv, err := attributevalue.Marshal(d)
	if err != nil {
		return err
	}
	return s.adminTransition(ctx, tenant, kind, id, "dismiss", d.By, d.Reason, true, func(cur *entityItem) (change, error) {
		if cur.Status != StatusWarning {
			return change{}, ErrWrongStatus
		}
		c := change{status: StatusDismissed}
		c.setValue("dismissal = :d", ":d", dv)
		return c, nil
	})
}

// Undismiss puts a dismissed entity back among the warnings.
func (s *Store) Undismiss(ctx context.Context, tenant string, kind billing.Kind, id, by, reason string) error {
	return s.adminTransition(ctx, tenant, kind, id, "undismiss", by, reason, true, func(cur *entityItem) (change, error) {
		if cur.Status != StatusDismissed {
			return change{}, ErrWrongStatus
		}
		return change{status: StatusWarning, remove: []string{"dismissal"}}, nil
	})
}

// Requeue marks an entity not_tried because an admin sent it again. The
// last warning stays visible until the new attempt replaces it; if the
// queue message were lost, the hourly scheduler sends not_tried entities.
// The entity's history records action; the audit log too when audit is
// set (a bulk resend records one audit entry for all instead).
func (s *Store) Requeue(ctx context.Context, tenant string, kind billing.Kind, id, by, action string, audit bool) (EntityState, error) {
	var st EntityState
	err := s.adminTransition(ctx, tenant, kind, id, action, by, "", audit, func(cur *entityItem) (change, error) {
		st = cur.state(tenant)
		c := change{status: StatusNotTried, remove: []string{"dismissal", "waiting_on"}}
		c.setValue("updated_at = :now", ":now", mustTime(s.now()))
		return c, nil
	})
	return st, err
}

// adminTransition applies an admin's change to an existing entity with a
// history entry and an audit entry in the same transaction.
func (s *Store) adminTransition(ctx context.Context, tenant string, kind billing.Kind, id, action, by, reason string,
	audit bool, decide func(cur *entityItem) (change, error)) error {
	err := s.transition(ctx, tenant, kind, id, false, func(cur *entityItem) (change, error) {
		if cur == nil {
			return change{}, ErrNotFound
		}
		c, err := decide(cur)
		if err != nil {
			return c, err
		}
		now := s.now().UTC()
		h, err := s.historyPut(tenant, kind, id, HistoryEntry{At: now, Type: HistoryAdmin, Action: action,
			By: by, Reason: reason, Status: c.status, Version: cur.Version})
		if err != nil {
			return c, err
		}
		c.extra = append(c.extra, h)
		if audit {
			a, err := s.auditPut(tenant, AuditEntry{At: now, By: by, Action: action, Kind: kind, ID: id, Reason: reason})
			if err != nil {
				return c, err
			}
			c.extra = append(c.extra, a)
		}
		return c, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrWrongStatus) {
		return fmt.Errorf("%s %s/%s: %w", action, kind, id, err)
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read cannot fail
	return hex.EncodeToString(b)
}
