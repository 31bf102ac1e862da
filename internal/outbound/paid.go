package outbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/store"
)

// TypeInvoicePaid: a synced invoice's balance in QuickBooks reached zero.
const TypeInvoicePaid = "quickbooks.invoice.paid"

// InvoiceBalance is what QuickBooks said of a synced invoice, whoever
// read it (reconciliation, a notification from Intuit). Amounts are in
// minor units of Currency.
type InvoiceBalance struct {
	Tenant     string
	InvoiceID  string // billing's id
	CustomerID string // billing's id of its customer
	RealmID    string
	QBOID      string
	DocNumber  string
	Currency   string
	Total      int64
	Balance    int64
	// Voided invoices are never paid, whatever their balance.
	Voided bool
}

// paidItem remembers, per invoice, whether it was last seen paid in full
// and how many times it became so; each time is one event.
type paidItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Paid  bool   `dynamodbav:"paid"`
	Round int64  `dynamodbav:"round"`
}

func paidSK(invoiceID string) string { return "IP#" + invoiceID }

// paidEventID is the event of the round-th time the invoice became paid.
func paidEventID(tenant, invoiceID string, round int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d", tenant, invoiceID, round)))
	return "evt_qbo_paid_" + hex.EncodeToString(sum[:12])
}

// ObserveInvoice records quickbooks.invoice.paid when b shows the invoice
// paid in full and it was not so when last observed: once per invoice
// per time it becomes paid, however often and by whom it is observed. A
// balance above zero again (a payment removed) lets the next full payment
// send a new event.
func (s *Store) ObserveInvoice(ctx context.Context, b InvoiceBalance) error {
	var it paidItem
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: store.Key(store.TenantPK(b.Tenant), paidSK(b.InvoiceID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("read paid state of %s: %w", b.InvoiceID, err)
	}
	if res.Item != nil {
		if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
			return fmt.Errorf("decode paid state of %s: %w", b.InvoiceID, err)
		}
	}
	paid := b.Balance == 0 && b.Total > 0 && !b.Voided
	switch {
	case paid == it.Paid:
		return nil
	case paid:
		// Recorded before the state moves: a crash in between observes the
		// same round again, and the event's id makes it one.
		if err := s.Record(ctx, paidEvent(b, it.Round+1, s.now())); err != nil {
			return err
		}
	}
	return s.savePaid(ctx, b, it, paid)
}

func paidEvent(b InvoiceBalance, round int64, now time.Time) Event {
	total, _ := money.Format(b.Total, b.Currency)
	data, _ := json.Marshal(map[string]string{
		"invoice_id": b.InvoiceID, "customer_id": b.CustomerID, "realm_id": b.RealmID, "qbo_invoice_id": b.QBOID,
		"doc_number": b.DocNumber, "currency": b.Currency, "total": total,
	})
	return Event{ID: paidEventID(b.Tenant, b.InvoiceID, round), Tenant: b.Tenant, Type: TypeInvoicePaid,
		OccurredAt: now.UTC(), Data: data}
}

// savePaid moves the invoice's state conditionally on the round read: of
// two observers only one moves it, and both recorded the same event.
func (s *Store) savePaid(ctx context.Context, b InvoiceBalance, old paidItem, paid bool) error {
	next := paidItem{PK: store.TenantPK(b.Tenant), SK: paidSK(b.InvoiceID), Paid: paid, Round: old.Round}
	if paid {
		next.Round++
	}
	av, err := attributevalue.MarshalMap(next)
	if err != nil {
		return fmt.Errorf("encode paid state of %s: %w", b.InvoiceID, err)
	}
	cond := "attribute_not_exists(pk) OR (#r = :r AND paid = :p)"
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: &cond,
		ExpressionAttributeNames: map[string]string{"#r": "round"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":r": unixN(old.Round), ":p": &types.AttributeValueMemberBOOL{Value: old.Paid},
		},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("save paid state of %s: %w", b.InvoiceID, err)
	}
	return nil
}
