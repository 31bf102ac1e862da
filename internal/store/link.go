package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

type linkItem struct {
	PK            string                        `dynamodbav:"pk"`
	SK            string                        `dynamodbav:"sk"`
	Kind          billing.Kind                  `dynamodbav:"kind"`
	ID            string                        `dynamodbav:"id"`
	RealmID       string                        `dynamodbav:"realm_id"`
	State         LinkState                     `dynamodbav:"state"`
	QBOID         string                        `dynamodbav:"qbo_id,omitempty"`
	SyncToken     string                        `dynamodbav:"sync_token,omitempty"`
	SentHash      string                        `dynamodbav:"sent_hash,omitempty"`
	SyncedVersion int64                         `dynamodbav:"synced_version"`
	RequestID     string                        `dynamodbav:"request_id,omitempty"`
	IntentAt      time.Time                     `dynamodbav:"intent_at"`
	Voided        bool                          `dynamodbav:"voided,omitempty"`
	Refunds       map[string]record.RefundEntry `dynamodbav:"refunds,omitempty"`
	Extra         map[string]string             `dynamodbav:"extra,omitempty"`
	Rev           int64                         `dynamodbav:"rev"`
	UpdatedAt     time.Time                     `dynamodbav:"updated_at"`
	// Waiters and Woken are moved by AddDependent and MarkWoken alone; a
	// write of the link leaves them (linkCounters). An item holding only
	// them (no rev) is a link not made yet that dependents already wait on.
	Waiters int64 `dynamodbav:"waiters,omitempty"`
	Woken   int64 `dynamodbav:"woken,omitempty"`
}

// linkCounters are the link item's attributes PutLink never writes.
var linkCounters = map[string]bool{"waiters": true, "woken": true}

// linkAttributes are the attributes PutLink sets or removes: every one of
// linkItem but the key and the counters.
var linkAttributes = func() []string {
	var out []string
	t := reflect.TypeOf(linkItem{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("dynamodbav"), ",")
		if name != "pk" && name != "sk" && !linkCounters[name] {
			out = append(out, name)
		}
	}
	return out
}()

func linkSK(kind billing.Kind, id string) string { return "L#" + string(kind) + "#" + id }

func newLinkItem(l Link) linkItem {
	return linkItem{PK: tenantPK(l.Tenant), SK: linkSK(l.Kind, l.ID), Kind: l.Kind, ID: l.ID,
		RealmID: l.RealmID, State: l.State, QBOID: l.QBOID, SyncToken: l.SyncToken,
		SentHash: l.SentHash, SyncedVersion: l.SyncedVersion, RequestID: l.RequestID,
		IntentAt: l.IntentAt, Voided: l.Voided, Refunds: l.Refunds, Extra: l.Extra, Rev: l.Rev, UpdatedAt: l.UpdatedAt}
}

func (it linkItem) link(tenant string) Link {
	return Link{Tenant: tenant, Kind: it.Kind, ID: it.ID, RealmID: it.RealmID, State: it.State,
		QBOID: it.QBOID, SyncToken: it.SyncToken, SentHash: it.SentHash,
		SyncedVersion: it.SyncedVersion, RequestID: it.RequestID, IntentAt: it.IntentAt,
		Voided: it.Voided, Refunds: it.Refunds, Extra: it.Extra, Rev: it.Rev, UpdatedAt: it.UpdatedAt,
		Waiters: it.Waiters, Woken: it.Woken}
}

// Link loads the link of an entity; ErrNotFound when it never got one.
func (s *Store) Link(ctx context.Context, tenant string, kind billing.Kind, id string) (Link, error) {
	var it linkItem
	if err := s.get(ctx, tenantPK(tenant), linkSK(kind, id), &it); err != nil {
		return Link{}, err
	}
	if it.Rev == 0 {
		return Link{}, ErrNotFound // only dependents' counters so far
	}
	return it.link(tenant), nil
}

// PutLink writes l if the stored link still has revision l.Rev (0: none
// stored yet) and returns the link as written, with its new revision and
// the dependents' counters as the write found them. ErrConflict when
// another writer got there first.
func (s *Store) PutLink(ctx context.Context, l Link) (Link, error) {
	prev := l.Rev
	l.Rev++
	l.UpdatedAt = s.now().UTC()
	av, err := attributevalue.MarshalMap(newLinkItem(l))
	if err != nil {
		return Link{}, fmt.Errorf("encode link: %w", err)
	}
	in := linkUpdate(s.table, av)
	in.ConditionExpression = aws.String("attribute_not_exists(#rev)")
	if prev > 0 {
		in.ConditionExpression = aws.String("#rev = :prev")
		in.ExpressionAttributeValues[":prev"] = num(prev)
	}
	out, err := s.db.UpdateItem(ctx, in)
	if errors.Is(conflict(err), ErrConflict) {
		return Link{}, ErrConflict
	}
	if err != nil {
		return Link{}, fmt.Errorf("put link %s/%s: %w", l.Kind, l.ID, err)
	}
	var it linkItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return Link{}, fmt.Errorf("decode link %s/%s: %w", l.Kind, l.ID, err)
	}
	l.Waiters, l.Woken = it.Waiters, it.Woken
	return l, nil
}

// linkUpdate writes the link attributes of av over the stored item,
// removing those av omits, and answers with the item as written. It is an
// update, not a put, so the dependents' counters stay as they are: a put
// decided from an older read would set them back.
func linkUpdate(table string, av map[string]types.AttributeValue) *dynamodb.UpdateItemInput {
	var set, remove []string
	names := map[string]string{"#rev": "rev"}
	vals := map[string]types.AttributeValue{}
	for i, name := range linkAttributes {
		ref := fmt.Sprintf("#a%d", i)
		names[ref] = name
		if v, ok := av[name]; ok {
			set = append(set, fmt.Sprintf("%s = :a%d", ref, i))
			vals[fmt.Sprintf(":a%d", i)] = v
		} else {
			remove = append(remove, ref)
		}
	}
	expr := setRemove(set, remove)
	return &dynamodb.UpdateItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": av["pk"], "sk": av["sk"]},
		UpdateExpression: &expr, ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
		ReturnValues: types.ReturnValueAllNew}
}

type depItem struct {
	PK         string       `dynamodbav:"pk"`
	SK         string       `dynamodbav:"sk"`
	ChildKind  billing.Kind `dynamodbav:"child_kind"`
	ChildID    string       `dynamodbav:"child_id"`
	CustomerID string       `dynamodbav:"customer_id,omitempty"`
}

func depPrefix(kind billing.Kind, id string) string { return "D#" + string(kind) + "#" + id + "#" }

// AddDependent records that child waits for parent to link and returns
// parent's link as it stood just after (ErrNotFound when it has none).
// The edge is written first, then counted on parent's link by a write
// that answers with the link. So a parent linking meanwhile either
// counted the edge before its linking write answered, or is returned
// here linked: a parent's sync that finds the count where its last
// wake-up left it has no dependent to wake (Link.Awaited).
func (s *Store) AddDependent(ctx context.Context, tenant string, parent billing.Ref, child Dependent) (Link, error) {
	it := depItem{PK: tenantPK(tenant), SK: depPrefix(parent.Kind, parent.ID) + string(child.Kind) + "#" + child.ID,
		ChildKind: child.Kind, ChildID: child.ID, CustomerID: child.CustomerID}
	if err := s.put(ctx, it, "", nil); err != nil {
		return Link{}, fmt.Errorf("add dependent of %s/%s: %w", parent.Kind, parent.ID, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table,
		Key:              key(tenantPK(tenant), linkSK(parent.Kind, parent.ID)),
		UpdateExpression: aws.String("ADD waiters :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
		ReturnValues: types.ReturnValueAllNew})
	if err != nil {
		return Link{}, fmt.Errorf("count dependent of %s/%s: %w", parent.Kind, parent.ID, err)
	}
	var l linkItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &l); err != nil {
		return Link{}, fmt.Errorf("decode link %s/%s: %w", parent.Kind, parent.ID, err)
	}
	if l.Rev == 0 {
		return Link{}, ErrNotFound
	}
	return l.link(tenant), nil
}

// MarkWoken records that every dependent of parent counted up to waiters
// was woken: a wake-up that listed them after a read or write of parent's
// link returned that count. The mark never moves back.
func (s *Store) MarkWoken(ctx context.Context, tenant string, parent billing.Ref, waiters int64) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table,
		Key:                       key(tenantPK(tenant), linkSK(parent.Kind, parent.ID)),
		UpdateExpression:          aws.String("SET woken = :w"),
		ConditionExpression:       aws.String("attribute_exists(waiters) AND (attribute_not_exists(woken) OR woken < :w)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":w": num(waiters)}})
	if errors.Is(conflict(err), ErrConflict) {
		return nil // a later wake-up marked as far already
	}
	if err != nil {
		return fmt.Errorf("mark dependents of %s/%s woken: %w", parent.Kind, parent.ID, err)
	}
	return nil
}

// Dependents lists the entities waiting for parent.
func (s *Store) Dependents(ctx context.Context, tenant string, parent billing.Ref) ([]Dependent, error) {
	var out []Dependent
	err := s.queryPrefix(ctx, tenantPK(tenant), depPrefix(parent.Kind, parent.ID), func(av map[string]types.AttributeValue) error {
		var it depItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		out = append(out, Dependent{Kind: it.ChildKind, ID: it.ChildID, CustomerID: it.CustomerID})
		return nil
	})
	return out, err
}

// RemoveDependent forgets that child waits for parent.
func (s *Store) RemoveDependent(ctx context.Context, tenant string, parent billing.Ref, child Dependent) error {
	_, err := s.db.DeleteItem(ctx, deleteInput(s.table, tenantPK(tenant), depPrefix(parent.Kind, parent.ID)+string(child.Kind)+"#"+child.ID))
	if err != nil {
		return fmt.Errorf("remove dependent of %s/%s: %w", parent.Kind, parent.ID, err)
	}
	return nil
}
