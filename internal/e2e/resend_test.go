package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// Billing systems re-send the version they already sent under a new event
// id (a replay, a retry with a fresh id). The same content is a no-op: a
// synced invoice stays synced and exists once in QuickBooks. The same
// version with other content is refused with 409 version_conflict naming
// the field, since it cannot say which of the two is billing's truth.
func TestSameVersionResentIsIdempotent(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "resend")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Ada Lovelace", "ada@example.com"))
	inv := invoice("inv_1", 1, "cus_1", "INV-1", "posted", line{id: "l1", qty: "1", unit: 500})
	e.mustPost(http.StatusAccepted, "invoice.created", inv)
	e.drain()
	if s := e.status(billing.KindInvoice, "inv_1"); s != "synced" {
		t.Fatalf("invoice status %q, want synced", s)
	}

	for i := 0; i < 3; i++ {
		status, body := e.post("", "invoice.created", inv)
		if status != http.StatusOK || body["status"] != "duplicate" {
			t.Fatalf("same version re-sent under a new event id: %d %v, want 200 duplicate", status, body)
		}
	}
	if s := e.status(billing.KindInvoice, "inv_1"); s != "synced" {
		t.Errorf("after same-version re-sends the invoice is %q, want it to stay synced", s)
	}
	e.drain()
	if n := e.count("select count(*) from Invoice where DocNumber = 'INV-1'"); n != 1 {
		t.Errorf("QuickBooks has %d invoices INV-1, want 1", n)
	}

	changed := invoice("inv_1", 1, "cus_1", "INV-1", "posted", line{id: "l1", qty: "1", unit: 900})
	status, body := e.post("", "invoice.updated", changed)
	msg, _ := body["message"].(string)
	if status != http.StatusConflict || body["error"] != "version_conflict" || body["field"] != "amount_due" ||
		!strings.Contains(msg, "version 1") {
		t.Fatalf("same version, other content: %d %v, want 409 version_conflict naming the field", status, body)
	}
	if s := e.status(billing.KindInvoice, "inv_1"); s != "synced" {
		t.Errorf("after a refused conflict the invoice is %q, want synced", s)
	}
	total := e.objects("Invoice", "select * from Invoice where DocNumber = 'INV-1'")[0]["TotalAmt"]
	if str(total) != "5" && str(total) != "5.00" {
		t.Errorf("QuickBooks' invoice total %v, want 5.00: the conflicting content must not reach QuickBooks", total)
	}
}
