package webhook_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/store"
)

// countingDB counts the webhook's DynamoDB requests by operation and the
// kind of item (the sort key up to its first '#').
type countingDB struct {
	store.DB
	n map[string]int
}

func (c *countingDB) count(op string, key map[string]types.AttributeValue) {
	sk := ""
	if v, ok := key["sk"].(*types.AttributeValueMemberS); ok {
		sk, _, _ = strings.Cut(v.Value, "#")
	}
	c.n[op+" "+sk]++
}

func (c *countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem", in.Key)
	return c.DB.GetItem(ctx, in, opts...)
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem", in.Item)
	return c.DB.PutItem(ctx, in, opts...)
}

func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem", in.Key)
	return c.DB.UpdateItem(ctx, in, opts...)
}

func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.count("Query", nil)
	return c.DB.Query(ctx, in, opts...)
}

func (c *countingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.count("TransactWriteItems", nil)
	return c.DB.TransactWriteItems(ctx, in, opts...)
}

// BenchmarkWebhookRequests counts the DynamoDB requests of one accepted
// invoice event through the webhook function as wired for AWS: each
// event for a customer new to the lanes (a month end's first document of
// each customer), and every event for one customer (its later ones).
// Run under infra/local/stack.sh run --:
//
//	go test ./internal/webhook -run '^$' -bench WebhookRequests -benchtime 200x
func BenchmarkWebhookRequests(b *testing.B) {
	for _, bc := range []struct {
		name     string
		customer func(int) string
	}{
		{"new-customer", func(i int) string { return fmt.Sprintf("cus_%d", i) }},
		{"same-customer", func(int) string { return "cus_1" }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db := &countingDB{DB: stack.DynamoDB, n: map[string]int{}}
			w := newWired(b, "acme", db)
			clear(db.n)
			b.ResetTimer()
			for i := range b.N {
				w.now = w.now.Add(100 * time.Millisecond)
				w.post("acme", "invoice.created", invoiceData(fmt.Sprintf("inv_%d", i), 1, bc.customer(i)))
			}
			b.StopTimer()
			total, lines := 0, []string{}
			for k, v := range db.n {
				total += v
				lines = append(lines, fmt.Sprintf("  %-24s %5.2f", k, float64(v)/float64(b.N)))
			}
			sort.Strings(lines)
			b.ReportMetric(float64(total)/float64(b.N), "dynamodb-requests/event")
			b.Logf("DynamoDB requests per event by operation and item:\n%s", strings.Join(lines, "\n"))
		})
	}
}
