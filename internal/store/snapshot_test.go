package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// TestSnapshotStoredCompressed: an invoice of ten lines is stored in
// well under the KB a write unit covers, and read back byte for byte,
// from the table and from the status index.
func TestSnapshotStoredCompressed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	s := store.New(stack.DynamoDB, res.Table, nil)
	var lines []string
	for i := 1; i <= 10; i++ {
		lines = append(lines, fmt.Sprintf(`{"id":"li_%d","product_id":"prod_%d","description":"Seat %d","quantity":"%d",`+
			`"unit_amount":1500,"amount":%d,"discount_amount":0,"tax_amount":%d}`, i, i%3, i, i, 1500*i, 105*i))
	}
	data := `{"id":"inv_1","version":1,"customer_id":"cus_1","number":"INV-1","status":"posted","lines":[` +
		strings.Join(lines, ",") + `],"currency":"USD"}`
	snap := store.Snapshot{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", Version: 1, CustomerID: "cus_1",
		Action: "created", EventID: "evt_1", OccurredAt: time.Now(), ReceivedAt: time.Now(), Data: []byte(data)}
	if err := s.PutSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	raw, err := stack.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(res.Table),
		Key: map[string]types.AttributeValue{"pk": str("T#acme"), "sk": str("E#invoice#inv_1")}})
	if err != nil {
		t.Fatal(err)
	}
	stored, ok := raw.Item["data"].(*types.AttributeValueMemberB)
	if !ok || len(stored.Value) >= len(data)/2 {
		t.Fatalf("snapshot of %d bytes stored as %T of %d bytes, want binary under half", len(data), raw.Item["data"], len(stored.Value))
	}
	got, err := s.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if err != nil || string(got.Data) != data {
		t.Fatalf("snapshot read back as %s, %v; want it as sent", got.Data, err)
	}
	listed, err := s.EntitiesByStatus(ctx, "acme", store.StatusNotTried, billing.KindInvoice)
	if err != nil || len(listed) != 1 || string(listed[0].Data) != data {
		t.Fatalf("listed through the status index: %+v, %v; want the snapshot as sent", listed, err)
	}
}
