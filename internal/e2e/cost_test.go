package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/devstack"
)

// BenchmarkInvoiceSync counts what one synced invoice costs once its
// customer and products are in QuickBooks: requests to QBO, DynamoDB and
// SQS per invoice (webhook + sync), for invoices of one line and of five.
// Run:
//
//	go test ./internal/e2e -run '^$' -bench InvoiceSync -benchtime 50x
func BenchmarkInvoiceSync(b *testing.B) {
	for _, lines := range []int{1, 5} {
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) { benchInvoiceSync(b, lines) })
	}
}

func benchInvoiceSync(b *testing.B, lines int) {
	s := newStack(b, devstack.Options{})
	e := newTenant(b, s, "bench")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Bench Customer", "bench@example.com"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Bench plan"))
	e.drain()
	s.ResetCounts()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.mustPost(http.StatusAccepted, "invoice.created", invoice(fmt.Sprintf("inv_%d", i), 1, "cus_1",
			fmt.Sprintf("B-%d", i), "posted", benchLines(lines)...))
	}
	e.drain()
	b.StopTimer()
	c := s.Counts()
	n := float64(b.N)
	b.ReportMetric(float64(devstack.Total(c.QBO))/n, "qbo-calls/invoice")
	b.ReportMetric(float64(devstack.Total(c.DynamoDB))/n, "dynamodb-requests/invoice")
	b.ReportMetric(float64(devstack.Total(c.SQS))/n, "sqs-sends/invoice")
	b.ReportMetric(c.WriteUnits/n, "dynamodb-wcu/invoice")
	b.Logf("per %d invoices: QBO %s; DynamoDB %s; SQS %s", b.N, breakdown(c.QBO), breakdown(c.DynamoDB), breakdown(c.SQS))
	b.Logf("DynamoDB per invoice by item touched (requests, write units):\n%s", itemBreakdown(c.DynamoDBItems, n))
	prefixes := []string{"E#invoice#", "L#invoice#", "H#invoice#", "C#invoice#", "EV#"}
	sizes, desc := e.itemSizes(prefixes...)
	for _, p := range prefixes {
		b.Logf("largest %s item: %d bytes: %s", p, sizes[p], desc[p])
	}
}

// benchLines are n lines of the bench plan, each of its own quantity.
func benchLines(n int) []line {
	out := make([]line, n)
	for i := range out {
		qty := i + 2
		out[i] = line{id: fmt.Sprintf("l%d", i+1), product: "prod_1", qty: fmt.Sprint(qty), unit: 1500, tax: int64(105 * qty)}
	}
	return out
}

// itemBreakdown lists DynamoDB's cost per entity by operation and item
// kind, the most requests first.
func itemBreakdown(m map[string]devstack.ItemCount, n float64) string {
	labels := make([]string, 0, len(m))
	for k := range m {
		labels = append(labels, k)
	}
	sort.Slice(labels, func(i, j int) bool { return m[labels[i]].Requests > m[labels[j]].Requests })
	var b strings.Builder
	for _, k := range labels {
		fmt.Fprintf(&b, "  %-40s %6.2f %6.2f\n", k, float64(m[k].Requests)/n, m[k].WriteUnits/n)
	}
	return b.String()
}

func breakdown(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
