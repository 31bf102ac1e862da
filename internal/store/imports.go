package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ImportedPayment is what billing was last told about a payment recorded
// in QuickBooks: the event sent for its SyncToken and the invoices it
// applied to, so a later deletion can name them.
type ImportedPayment struct {
	RealmID   string `dynamodbav:"realm"`
	QBOID     string `dynamodbav:"qbo_id"`
	SyncToken string `dynamodbav:"sync_token"`
	// EventType is the event recorded for SyncToken (created, updated or
	// deleted), kept so that a retry records the same event again.
	EventType  string    `dynamodbav:"event_type"`
	CustomerID string    `dynamodbav:"customer_id,omitempty"`
	InvoiceIDs []string  `dynamodbav:"invoice_ids,omitempty"`
	Deleted    bool      `dynamodbav:"deleted,omitempty"`
	UpdatedAt  time.Time `dynamodbav:"updated_at"`
}

type importedItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	ImportedPayment
}

func importedSK(realm, qboID string) string { return "QP#" + realm + "#" + qboID }

// ImportedPayment returns what billing was told about the payment;
// ErrNotFound when nothing yet.
func (s *Store) ImportedPayment(ctx context.Context, tenant, realm, qboID string) (ImportedPayment, error) {
	var it importedItem
	if err := s.get(ctx, tenantPK(tenant), importedSK(realm, qboID), &it); err != nil {
		return ImportedPayment{}, err
	}
	return it.ImportedPayment, nil
}

// PutImportedPayment saves p if the stored record is still prev (nil: no
// record yet); ErrConflict when a concurrent import got there first.
func (s *Store) PutImportedPayment(ctx context.Context, tenant string, p ImportedPayment, prev *ImportedPayment) error {
	p.UpdatedAt = s.now().UTC()
	cond, values := "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
	if prev != nil {
		cond = "sync_token = :t AND event_type = :e"
		values = map[string]types.AttributeValue{":t": str(prev.SyncToken), ":e": str(prev.EventType)}
	}
	err := s.put(ctx, importedItem{PK: tenantPK(tenant), SK: importedSK(p.RealmID, p.QBOID), ImportedPayment: p}, cond, values)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("save imported payment %s of %s: %w", p.QBOID, tenant, err)
	}
	return err
}

// HasImportedPayments reports whether any payment recorded in QuickBooks
// was sent to the tenant's billing (records of the sync's own payments,
// event type "exported", do not count).
func (s *Store) HasImportedPayments(ctx context.Context, tenant string) (bool, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		FilterExpression:       aws.String("event_type <> :x"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(tenant)), ":p": str("QP#"), ":x": str("exported"),
		},
		ConsistentRead: aws.Bool(true),
	}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return false, fmt.Errorf("look up imported payments of %s: %w", tenant, err)
		}
		if len(res.Items) > 0 {
			return true, nil
		}
		if res.LastEvaluatedKey == nil {
			return false, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// RealmOwner returns the tenant that claimed the company (ClaimRealm);
// ErrNotFound when none did.
func (s *Store) RealmOwner(ctx context.Context, realm string) (string, error) {
	var it ownerItem
	if err := s.get(ctx, realmPK(realm), ownerSK, &it); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", err
		}
		return "", fmt.Errorf("read owner of company %s: %w", realm, err)
	}
	return it.Tenant, nil
}

// PaymentWatermark is where the hourly change data capture of payments
// recorded in QuickBooks resumes.
type PaymentWatermark struct {
	RealmID string    `dynamodbav:"realm"`
	Since   time.Time `dynamodbav:"since"`
}

type watermarkItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	PaymentWatermark
}

const paymentWatermarkSK = "QPCDC"

// PaymentWatermark returns the tenant's watermark; ErrNotFound before the
// first pass.
func (s *Store) PaymentWatermark(ctx context.Context, tenant string) (PaymentWatermark, error) {
	var it watermarkItem
	if err := s.get(ctx, tenantPK(tenant), paymentWatermarkSK, &it); err != nil {
		return PaymentWatermark{}, err
	}
	return it.PaymentWatermark, nil
}

// SavePaymentWatermark stores w.
func (s *Store) SavePaymentWatermark(ctx context.Context, tenant string, w PaymentWatermark) error {
	if err := s.put(ctx, watermarkItem{PK: tenantPK(tenant), SK: paymentWatermarkSK, PaymentWatermark: w}, "", nil); err != nil {
		return fmt.Errorf("save payment watermark of %s: %w", tenant, err)
	}
	return nil
}
