package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// kindCost posts b.N entities of one kind once their parents are in
// QuickBooks; prepare posts the parents of entities 0..n-1, entity posts
// entity i.
type kindCost struct {
	kind    billing.Kind
	prepare func(e *tenantEnv, n int)
	entity  func(e *tenantEnv, i int)
}

// invoices prepares n invoices.
func invoices(e *tenantEnv, n int) {
	for i := range n {
		costInvoice(e, i)
	}
}

func costInvoice(e *tenantEnv, i int) {
	e.mustPost(http.StatusAccepted, "invoice.created", invoice(fmt.Sprintf("inv_%d", i), 1, "cus_1",
		fmt.Sprintf("K-%d", i), "posted", line{id: "l1", product: "prod_1", qty: "2", unit: 1500, tax: 210}))
}

func costPayment(e *tenantEnv, i int, amount, applied int64) {
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": fmt.Sprintf("pay_%d", i), "version": 1,
		"customer_id": "cus_1", "received_on": "2026-11-22", "amount": amount, "currency": "USD", "method": "card",
		"applications": []map[string]any{{"invoice_id": fmt.Sprintf("inv_%d", i), "amount": applied}}})
}

// against posts a document of kind against invoice i (charge reversal, write-off).
func against(kind billing.Kind, date string) func(e *tenantEnv, i int) {
	return func(e *tenantEnv, i int) {
		e.mustPost(http.StatusAccepted, string(kind)+".created", map[string]any{"id": fmt.Sprintf("%s_%d", kind, i),
			"version": 1, "customer_id": "cus_1", "invoice_id": fmt.Sprintf("inv_%d", i), date: "2026-11-23",
			"amount": 1000, "currency": "USD"})
	}
}

// kindPrefix is how the entities' ids start: <prefix>_<i>.
var kindPrefix = map[billing.Kind]string{
	billing.KindCustomer: "cus_k", billing.KindProduct: "prod_k", billing.KindInvoice: "inv",
	billing.KindPayment: "pay", billing.KindCredit: "cr", billing.KindChargeReversal: "charge_reversal",
	billing.KindWriteOff: "write_off", billing.KindRefund: "ref",
}

var kindCosts = []kindCost{
	{billing.KindCustomer, nil, func(e *tenantEnv, i int) {
		e.mustPost(http.StatusAccepted, "customer.created", customer(fmt.Sprintf("cus_k_%d", i), 1,
			fmt.Sprintf("Cost Customer %d", i), fmt.Sprintf("k%d@example.com", i)))
	}},
	{billing.KindProduct, nil, func(e *tenantEnv, i int) {
		e.mustPost(http.StatusAccepted, "product.created", product(fmt.Sprintf("prod_k_%d", i), fmt.Sprintf("Cost plan %d", i)))
	}},
	{billing.KindInvoice, nil, costInvoice},
	{billing.KindPayment, invoices, func(e *tenantEnv, i int) { costPayment(e, i, 3210, 3210) }},
	{billing.KindCredit, invoices, func(e *tenantEnv, i int) {
		e.mustPost(http.StatusAccepted, "credit.created", map[string]any{"id": fmt.Sprintf("cr_%d", i), "version": 1,
			"customer_id": "cus_1", "issued_on": "2026-11-23", "amount": 1500, "currency": "USD",
			"applications": []map[string]any{{"invoice_id": fmt.Sprintf("inv_%d", i), "amount": 1000}}})
	}},
	{billing.KindChargeReversal, invoices, against(billing.KindChargeReversal, "reversed_on")},
	{billing.KindWriteOff, invoices, against(billing.KindWriteOff, "written_off_on")},
	// All invoices first: an over-payment before a new invoice would be
	// applied to it by QuickBooks' automation (and undone by the sync),
	// which is not what a refund costs.
	{billing.KindRefund, func(e *tenantEnv, n int) {
		invoices(e, n)
		for i := range n {
			costPayment(e, i, 5000, 3210)
		}
	}, func(e *tenantEnv, i int) {
		e.mustPost(http.StatusAccepted, "refund.created", map[string]any{"id": fmt.Sprintf("ref_%d", i), "version": 1,
			"customer_id": "cus_1", "payment_id": fmt.Sprintf("pay_%d", i), "refunded_on": "2026-11-24",
			"amount": 1790, "currency": "USD"})
	}},
}

// BenchmarkSyncByKind counts what one synced entity of each kind costs
// (webhook and sync, no faults) once its parents are in QuickBooks:
// requests to QBO, DynamoDB and SQS per entity. Run:
//
//	go test ./internal/e2e -run '^$' -bench SyncByKind -benchtime 20x
func BenchmarkSyncByKind(b *testing.B) {
	s := newStack(b, devstack.Options{})
	runs := 0
	for _, k := range kindCosts {
		b.Run(string(k.kind), func(b *testing.B) {
			runs++ // the benchmark function runs more than once: a tenant each time
			e := newTenant(b, s, fmt.Sprintf("cost%d", runs))
			e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Cost Customer", "cost@example.com"))
			e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Cost plan"))
			if k.prepare != nil {
				k.prepare(e, b.N)
			}
			e.drain()
			s.ResetCounts()
			b.ResetTimer()
			for i := range b.N {
				k.entity(e, i)
			}
			e.drain()
			b.StopTimer()
			c := s.Counts()
			for i := range b.N {
				id := fmt.Sprintf("%s_%d", kindPrefix[k.kind], i)
				if got := e.status(k.kind, id); got != "synced" {
					b.Errorf("%s/%s: %s, want synced", k.kind, id, got)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(devstack.Total(c.QBO))/n, "qbo/entity")
			b.ReportMetric(float64(devstack.Total(c.DynamoDB))/n, "dynamodb/entity")
			b.ReportMetric(float64(devstack.Total(c.SQS))/n, "sqs/entity")
			b.Logf("%s × %d: QBO %s; DynamoDB %s; SQS %s", k.kind, b.N, breakdown(c.QBO), breakdown(c.DynamoDB), breakdown(c.SQS))
		})
	}
}
