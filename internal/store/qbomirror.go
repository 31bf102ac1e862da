package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// QBOObject is what reconciliation last read of one QuickBooks object:
// the money and references it compares, amounts in minor units of
// Currency. Keeping it lets the hourly run read only what changed (CDC).
type QBOObject struct {
	Entity     string    `dynamodbav:"entity"` // Invoice, Payment, ...
	QBOID      string    `dynamodbav:"qbo_id"`
	Marker     string    `dynamodbav:"marker,omitempty"` // "invoice inv_1", "credit cr_1 application"
	SyncToken  string    `dynamodbav:"sync_token,omitempty"`
	CustomerID string    `dynamodbav:"customer_id,omitempty"` // QBO customer id
	Currency   string    `dynamodbav:"currency,omitempty"`
	DocNumber  string    `dynamodbav:"doc_number,omitempty"`
	TxnDate    string    `dynamodbav:"txn_date,omitempty"`
	Total      int64     `dynamodbav:"total"`
	Balance    int64     `dynamodbav:"balance"`
	Open       int64     `dynamodbav:"open"`  // unapplied payment, remaining credit
	State      string    `dynamodbav:"state"` // active, voided, deleted
	Applied    []Applied `dynamodbav:"applied,omitempty"`
	Lines      []int64   `dynamodbav:"lines,omitempty"` // an invoice's sales line amounts, in order
	UpdatedAt  time.Time `dynamodbav:"updated_at"`
}

// Applied is one document a payment's line applies money to.
type Applied struct {
	TxnType string `dynamodbav:"type"`
	TxnID   string `dynamodbav:"id"`
	Amount  int64  `dynamodbav:"amount"`
}

// QBO object states.
const (
	QBOActive  = "active"
	QBOVoided  = "voided"
	QBODeleted = "deleted"
)

type qboObjectItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	QBOObject
}

func qboObjectSK(entity, id string) string { return "QO#" + entity + "#" + id }

// PutQBOObject stores what was read of one QuickBooks object.
func (s *Store) PutQBOObject(ctx context.Context, tenant string, o QBOObject) error {
	it := qboObjectItem{PK: tenantPK(tenant), SK: qboObjectSK(o.Entity, o.QBOID), QBOObject: o}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("put QuickBooks object %s %s: %w", o.Entity, o.QBOID, err)
	}
	return nil
}

// QBOObjects lists every QuickBooks object reconciliation has read for
// the tenant.
func (s *Store) QBOObjects(ctx context.Context, tenant string) ([]QBOObject, error) {
	var out []QBOObject
	err := s.queryPrefix(ctx, tenantPK(tenant), "QO#", func(av map[string]types.AttributeValue) error {
		var it qboObjectItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("decode QuickBooks object: %w", err)
		}
		out = append(out, it.QBOObject)
		return nil
	})
	return out, err
}

// ForgetQBOObjects deletes the tenant's read QuickBooks objects, so the
// next reconciliation reads the company in full (after a change of
// company).
func (s *Store) ForgetQBOObjects(ctx context.Context, tenant string) error {
	var sks []string
	err := s.queryPrefix(ctx, tenantPK(tenant), "QO#", func(av map[string]types.AttributeValue) error {
		if v, ok := av["sk"].(*types.AttributeValueMemberS); ok {
			sks = append(sks, v.Value)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, sk := range sks {
		if _, err := s.db.DeleteItem(ctx, deleteInput(s.table, tenantPK(tenant), sk)); err != nil {
			return fmt.Errorf("forget QuickBooks object %s of %s: %w", sk, tenant, err)
		}
	}
	return nil
}
