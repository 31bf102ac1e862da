package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// Documents voided before they ever reached QuickBooks (their customer had
// not arrived) sync as done with nothing created, wait for nothing, and
// never come back: a refund's void converges its payment, and a payment
// whose sync woke the refund again made the two loop forever.
func TestVoidsOfDocumentsThatNeverReachedQuickBooks(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "voids")
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	inv := invoice("inv_1", 1, "cus_1", "V-1", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 5000})
	e.mustPost(http.StatusAccepted, "invoice.created", inv)
	pay := map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1", "received_on": "2026-11-22",
		"amount": 8000, "currency": "USD", "method": "card", "applications": []map[string]any{{"invoice_id": "inv_1", "amount": 5000}}}
	e.mustPost(http.StatusAccepted, "payment.created", pay)
	ref := map[string]any{"id": "ref_1", "version": 1, "customer_id": "cus_1", "payment_id": "pay_1",
		"refunded_on": "2026-11-23", "amount": 3000, "currency": "USD"}
	e.mustPost(http.StatusAccepted, "refund.created", ref)
	e.drain()
	for _, id := range []struct {
		kind billing.Kind
		id   string
	}{{billing.KindInvoice, "inv_1"}, {billing.KindPayment, "pay_1"}, {billing.KindRefund, "ref_1"}} {
		if got := e.status(id.kind, id.id); !strings.HasPrefix(got, "waiting") {
			t.Fatalf("%s/%s before its customer: %s, want waiting", id.kind, id.id, got)
		}
	}

	ref["version"] = 2
	e.mustPost(http.StatusAccepted, "refund.voided", ref)
	pay["version"] = 2
	e.mustPost(http.StatusAccepted, "payment.voided", pay)
	inv["version"], inv["status"] = 2, "voided"
	e.mustPost(http.StatusAccepted, "invoice.voided", inv)
	e.drain() // fails if the voids keep waking each other
	for _, id := range []struct {
		kind billing.Kind
		id   string
	}{{billing.KindInvoice, "inv_1"}, {billing.KindPayment, "pay_1"}, {billing.KindRefund, "ref_1"}} {
		if got := e.status(id.kind, id.id); got != "synced" {
			t.Errorf("%s/%s voided before it reached QuickBooks: %s, want synced (nothing to void)", id.kind, id.id, got)
		}
	}

	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Late Customer", "late@example.com"))
	e.drain()
	if got := e.status(billing.KindCustomer, "cus_1"); got != "synced" {
		t.Errorf("customer: %s, want synced", got)
	}
	for _, stmt := range []string{"select count(*) from Invoice", "select count(*) from Payment", "select count(*) from JournalEntry"} {
		if n := e.count(stmt); n != 0 {
			t.Errorf("%s = %d: a document voided in billing before it synced must not be created", stmt, n)
		}
	}
}
