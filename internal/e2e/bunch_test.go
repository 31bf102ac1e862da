package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// TestBacklogComesBackInBunchesSentAsBatches: a company whose single
// requests are spent for the next minute still gets its invoices synced
// within it. Each sync the request schedule turns away is seated in a
// bunch on the batch schedule; the bunch comes back at its turn and its
// creates go out together as batches. Every invoice ends in QuickBooks
// once, with its amount, long before a single request is admitted again.
func TestBacklogComesBackInBunchesSentAsBatches(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "bunched")
	for c := 1; c <= 4; c++ {
		e.mustPost(http.StatusAccepted, "customer.created", customer(fmt.Sprintf("cus_%d", c), 1, fmt.Sprintf("Bunch %d Ltd", c), "b@example.com"))
	}
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	e.drain()
	before, err := e.simStats()
	if err != nil {
		t.Fatal(err)
	}

	// Spend the company's single requests for the next 60 s, as a backlog
	// that booked them would.
	freed := time.Now().Add(60 * time.Second)
	_, err = s.Deps().DynamoDB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Resources().Table),
		Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "R#" + e.realm}, "sk": &types.AttributeValueMemberS{Value: "SCHEDULE"}},
		UpdateExpression:          aws.String("SET tat = :tat"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":tat": &types.AttributeValueMemberN{Value: strconv.FormatInt(freed.UnixMilli(), 10)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 48
	for i := 1; i <= n; i++ {
		e.mustPost(http.StatusAccepted, "invoice.created", invoice(fmt.Sprintf("inv_%d", i), 1, fmt.Sprintf("cus_%d", 1+i%4),
			fmt.Sprintf("B-%d", i), "posted", line{id: "l1", product: "prod_1", qty: "1", unit: int64(100 * i)}))
	}
	for pending := n; pending > 0; {
		if time.Now().After(freed.Add(-5 * time.Second)) {
			t.Fatalf("%d of %d invoices not synced while the single requests were spent", pending, n)
		}
		time.Sleep(500 * time.Millisecond)
		pending = 0
		for i := 1; i <= n; i++ {
			if e.status(billing.KindInvoice, fmt.Sprintf("inv_%d", i)) != "synced" {
				pending++
			}
		}
	}
	after, err := e.simStats()
	if err != nil {
		t.Fatal(err)
	}
	b := batchesBetween(before, after)
	t.Logf("%d invoices synced in %d QuickBooks requests, %d of them batches carrying %d creates", n, b.requests, b.batches, b.items)
	if b.batches < 2 || b.items < n {
		t.Errorf("%d batches carrying %d creates, want at least 2 carrying all %d", b.batches, b.items, n)
	}
	if got := e.count("select count(*) from Invoice"); got != n {
		t.Errorf("QuickBooks holds %d invoices, want %d", got, n)
	}
	for i := 1; i <= n; i += 7 {
		inv := e.objects("Invoice", fmt.Sprintf("select * from Invoice where DocNumber = 'B-%d'", i))
		if len(inv) != 1 || str(inv[0]["TotalAmt"]) != fmt.Sprintf("%d.00", i) {
			t.Errorf("invoice B-%d in QuickBooks: %v, want one of %d.00", i, inv, i)
		}
	}
}
