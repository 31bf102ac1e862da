package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
}

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
		Voided: it.Voided, Refunds: it.Refunds, Extra: it.Extra, Rev: it.Rev, UpdatedAt: it.UpdatedAt}
}

// Link loads the link of an entity; ErrNotFound when it never got one.
func (s *Store) Link(ctx context.Context, tenant string, kind billing.Kind, id string) (Link, error) {
	var it linkItem
	if err := s.get(ctx, tenantPK(tenant), linkSK(kind, id), &it); err != nil {
		return Link{}, err
	}
	return it.link(tenant), nil
}

// PutLink writes l if the stored link still has revision l.Rev (0: none
// stored yet) and returns the link as written, with its new revision.
// ErrConflict when another writer got there first.
func (s *Store) PutLink(ctx context.Context, l Link) (Link, error) {
	prev := l.Rev
	l.Rev++
	l.UpdatedAt = s.now().UTC()
	it := newLinkItem(l)
	cond, vals := "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
	if prev > 0 {
		cond, vals = "rev = :prev", map[string]types.AttributeValue{":prev": num(prev)}
	}
	if err := s.put(ctx, it, cond, vals); err != nil {
		if errors.Is(err, ErrConflict) {
			return Link{}, ErrConflict
		}
		return Link{}, fmt.Errorf("put link %s/%s: %w", l.Kind, l.ID, err)
	}
	return l, nil
}

type depItem struct {
	PK         string       `dynamodbav:"pk"`
	SK         string       `dynamodbav:"sk"`
	ChildKind  billing.Kind `dynamodbav:"child_kind"`
	ChildID    string       `dynamodbav:"child_id"`
	CustomerID string       `dynamodbav:"customer_id,omitempty"`
}

func depPrefix(kind billing.Kind, id string) string { return "D#" + string(kind) + "#" + id + "#" }

// AddDependent records that child waits for parent to link.
func (s *Store) AddDependent(ctx context.Context, tenant string, parent billing.Ref, child Dependent) error {
	it := depItem{PK: tenantPK(tenant), SK: depPrefix(parent.Kind, parent.ID) + string(child.Kind) + "#" + child.ID,
		ChildKind: child.Kind, ChildID: child.ID, CustomerID: child.CustomerID}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("add dependent of %s/%s: %w", parent.Kind, parent.ID, err)
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
