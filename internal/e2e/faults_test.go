package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// control calls the simulator's /_sim control surface for the tenant's company.
func (e *tenantEnv) control(method, path string, body any) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, fmt.Sprintf("%s/_sim/companies/%s/%s", e.stack.QBOURL(), e.realm, path), rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		e.t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

func (e *tenantEnv) fault(f map[string]any) { e.control(http.MethodPost, "faults", f) }

func fastStack(t *testing.T) *devstack.Stack {
	return newStack(t, devstack.Options{ThrottleBackoff: time.Second})
}

// TestRetriesNeverDuplicate: responses lost after QBO committed the write,
// 5xx, timeouts, a 429 and expired tokens all end in exactly one QBO object
// per billing entity (QBO's requestid and the intent + natural-key lookup).
func TestRetriesNeverDuplicate(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, fastStack(t), "faulty")
	e.fault(map[string]any{"entity": "Customer", "operation": "create", "drop_response": true})
	e.fault(map[string]any{"entity": "Invoice", "operation": "create", "drop_response": true})
	e.fault(map[string]any{"entity": "Invoice", "operation": "create", "status": 503})
	e.fault(map[string]any{"entity": "Item", "operation": "create", "status": 429})
	e.fault(map[string]any{"entity": "Payment", "operation": "create", "drop_response": true})
	e.control(http.MethodPost, "expire-tokens", nil)

	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Dropped Response Ltd", "d@example.com"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	for i := 1; i <= 3; i++ {
		e.mustPost(http.StatusAccepted, "invoice.created", invoice(fmt.Sprintf("inv_%d", i), 1, "cus_1",
			fmt.Sprintf("F-%d", i), "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 1000}))
	}
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-22", "amount": 1500, "currency": "USD", "method": "check",
		"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 1000}, {"invoice_id": "inv_2", "amount": 500}}})
	e.drain()

	for _, id := range []string{"inv_1", "inv_2", "inv_3"} {
		if got := e.status(billing.KindInvoice, id); got != "synced" {
			t.Errorf("%s: %s, want synced", id, got)
		}
	}
	if got := e.status(billing.KindPayment, "pay_1"); got != "synced" {
		t.Errorf("payment: %s", got)
	}
	for stmt, want := range map[string]int{
		"select count(*) from Customer": 1, "select count(*) from Invoice": 3,
		"select count(*) from Item where Name = 'Plan'": 1, "select count(*) from Payment": 1,
	} {
		if n := e.count(stmt); n != want {
			t.Errorf("%s = %d, want %d (a retry created a duplicate?)", stmt, n, want)
		}
	}
	l := e.ledger()
	for _, inv := range l.Customers[0].Invoices {
		want := map[string]string{"F-1": "0.00", "F-2": "5.00", "F-3": "10.00"}[inv.DocNumber]
		if inv.Balance != want {
			t.Errorf("%s balance %s, want %s", inv.DocNumber, inv.Balance, want)
		}
	}
}

// TestValidationFaultBecomesWarning: QBO's refusal is recorded in its own
// words and not retried blindly; fixing the cause and resending syncs it.
func TestValidationFaultBecomesWarning(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "strict")
	// Custom transaction numbers with the duplicate check: a number QBO
	// already has is refused (6140).
	e.control(http.MethodPatch, "preferences", map[string]any{"custom_txn_numbers": true, "duplicate_doc_number_check": true})
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Strict Co", "s@example.com"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "DUP-1", "posted", line{id: "l1", qty: "1", unit: 1000}))
	e.drain()
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_2", 1, "cus_1", "DUP-1", "posted", line{id: "l1", qty: "1", unit: 2000}))
	e.drain()
	got := e.status(billing.KindInvoice, "inv_2")
	if !strings.HasPrefix(got, "warning: 6140 ") || !strings.Contains(strings.ToLower(got), "duplicate") {
		t.Fatalf("inv_2: %q, want a warning with QBO's 6140 duplicate-number fault", got)
	}
	st, _ := e.stack.Store().Entity(t.Context(), "strict", billing.KindInvoice, "inv_2")
	if st.Warning.IntuitTID == "" || st.Warning.Retryable {
		t.Errorf("warning %+v: want QBO's intuit_tid kept and no blind retry", st.Warning)
	}
	// The billing system renumbers the invoice: the new version syncs.
	e.mustPost(http.StatusAccepted, "invoice.updated", invoice("inv_2", 2, "cus_1", "DUP-2", "posted", line{id: "l1", qty: "1", unit: 2000}))
	e.drain()
	if got := e.status(billing.KindInvoice, "inv_2"); got != "synced" {
		t.Errorf("after renumbering: %q, want synced", got)
	}
	if n := e.count("select count(*) from Invoice"); n != 2 {
		t.Errorf("invoices = %d, want 2", n)
	}
}

// TestClosedBooksPostInOpenPeriod: a new invoice dated in QuickBooks'
// closed period is posted on the first open day and flagged.
func TestClosedBooksPostInOpenPeriod(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "closed")
	e.control(http.MethodPatch, "preferences", map[string]any{"books_closed_date": "2026-11-30"})
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Late Co", "l@example.com"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "C-1", "posted", line{id: "l1", qty: "1", unit: 1000}))
	e.drain()
	invs := e.objects("Invoice", "select * from Invoice where DocNumber = 'C-1'")
	if len(invs) != 1 || str(invs[0]["TxnDate"]) != "2026-12-01" {
		t.Fatalf("C-1 = %v, want one invoice dated 2026-12-01 (first open day)", invs)
	}
	st, _ := e.stack.Store().Entity(t.Context(), "closed", billing.KindInvoice, "inv_1")
	if st.Status != "synced" || st.Warning == nil || !strings.Contains(st.Warning.Message, "closed period") {
		t.Errorf("status %s warning %+v, want synced and flagged", st.Status, st.Warning)
	}
}

// TestDuplicateNameDisambiguates: a QBO name already used by someone else
// (6240) does not block the customer: it gets "Name (billing id)".
func TestDuplicateNameDisambiguates(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "names")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Same Name", "one@example.com"))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Same Name", "two@example.com"))
	e.drain()
	for _, id := range []string{"cus_1", "cus_2"} {
		if got := e.status(billing.KindCustomer, id); !strings.HasPrefix(got, "synced") {
			t.Errorf("%s: %s", id, got)
		}
	}
	names := map[string]bool{}
	for _, c := range e.objects("Customer", "select * from Customer") {
		names[str(c["DisplayName"])] = true
	}
	if !names["Same Name"] || len(names) != 2 {
		t.Errorf("customers = %v, want Same Name and one disambiguated", names)
	}
}

// TestCurrencyMismatchIsAWarning: a transaction in another currency than
// its customer's is not sent; the warning says why.
func TestCurrencyMismatchIsAWarning(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "fx")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Dollar Co", "d@example.com"))
	inv := invoice("inv_1", 1, "cus_1", "FX-1", "posted", line{id: "l1", qty: "1", unit: 1000})
	inv["currency"] = "EUR"
	e.mustPost(http.StatusAccepted, "invoice.created", inv)
	e.drain()
	got := e.status(billing.KindInvoice, "inv_1")
	if !strings.Contains(got, "Currency mismatch: this invoice is in EUR but customer cus_1 is billed in USD") {
		t.Errorf("status %q, want a currency-mismatch warning", got)
	}
	if n := e.count("select count(*) from Invoice"); n != 0 {
		t.Errorf("invoices in QuickBooks = %d, want 0", n)
	}
}
