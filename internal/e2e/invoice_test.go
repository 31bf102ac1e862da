package e2e

import (
	"net/http"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

func customer(id string, version int, name, email string) map[string]any {
	return map[string]any{"id": id, "version": version, "display_name": name, "email": email, "currency": "USD"}
}

func product(id, name string) map[string]any {
	return map[string]any{"id": id, "version": 1, "name": name, "active": true}
}

type line struct {
	id, product, qty    string
	unit, discount, tax int64
}

// invoice builds a consistent invoice snapshot from its lines.
func invoice(id string, version int, customerID, number, status string, lines ...line) map[string]any {
	var ls []map[string]any
	var subtotal, discount, tax int64
	for _, l := range lines {
		amount := l.unit * qtyInt(l.qty)
		m := map[string]any{"id": l.id, "description": "Line " + l.id, "quantity": l.qty, "unit_amount": l.unit,
			"amount": amount, "discount_amount": l.discount, "tax_amount": l.tax}
		if l.product != "" {
			m["product_id"] = l.product
		}
		ls = append(ls, m)
		subtotal, discount, tax = subtotal+amount, discount+l.discount, tax+l.tax
	}
	total := subtotal - discount + tax
	return map[string]any{"id": id, "version": version, "customer_id": customerID, "number": number,
		"status": status, "issued_on": "2026-11-21", "due_on": "2026-12-21", "currency": "USD", "lines": ls,
		"subtotal": subtotal, "discount_total": discount, "tax_total": tax, "total": total, "amount_due": total}
}

func qtyInt(q string) int64 {
	var n int64
	for _, c := range q {
		n = n*10 + int64(c-'0')
	}
	return n
}

// TestInvoiceEndToEnd posts customers, products and invoices — with a
// duplicate, out-of-order older versions, an invoice before its customer,
// a draft and a void — and checks QuickBooks: the invoice's lines, totals
// and DocNumber, and that nothing exists twice.
func TestInvoiceEndToEnd(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "acme")

	e.mustPost(http.StatusAccepted, "product.created", product("prod_basic", "Basic plan"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_addon", "Extra seat"))
	// Globex's invoice arrives before Globex.
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1002", 1, "cus_1002", "INV-1002", "posted",
		line{id: "l1", product: "prod_basic", qty: "1", unit: 4900}))

	status, out := e.post("evt_acme_customer", "customer.created", customer("cus_1001", 1, "Acme Corp", "ap@acme.example"))
	if status != http.StatusAccepted {
		t.Fatalf("customer: %d %v", status, out)
	}
	if status, out = e.post("evt_acme_customer", "customer.created", customer("cus_1001", 1, "Acme Corp", "ap@acme.example")); status != http.StatusOK || out["status"] != "duplicate" {
		t.Fatalf("same event again: %d %v, want 200 duplicate", status, out)
	}
	e.mustPost(http.StatusAccepted, "customer.updated", customer("cus_1001", 2, "Acme Corporation", "ap@acme.example"))
	if status, out = e.post("", "customer.created", customer("cus_1001", 1, "Acme Corp", "ap@acme.example")); status != http.StatusOK || out["status"] != "stale" {
		t.Fatalf("older version after newer: %d %v, want 200 stale", status, out)
	}

	v1 := invoice("inv_1001", 1, "cus_1001", "INV-1001", "posted",
		line{id: "l1", product: "prod_basic", qty: "1", unit: 4900, tax: 343},
		line{id: "l2", product: "prod_addon", qty: "3", unit: 1250, discount: 375, tax: 236})
	v2 := invoice("inv_1001", 2, "cus_1001", "INV-1001", "posted",
		line{id: "l1", product: "prod_basic", qty: "1", unit: 4900, tax: 343},
		line{id: "l2", product: "prod_addon", qty: "4", unit: 1250, discount: 500, tax: 315},
		line{id: "l3", qty: "1", unit: 1000, tax: 70})
	e.mustPost(http.StatusAccepted, "invoice.created", v1)
	e.mustPost(http.StatusAccepted, "invoice.updated", v2)
	if status, out = e.post("", "invoice.created", v1); status != http.StatusOK || out["status"] != "stale" {
		t.Fatalf("invoice v1 after v2: %d %v, want 200 stale", status, out)
	}
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1003", 1, "cus_1001", "INV-1003", "draft",
		line{id: "l1", qty: "1", unit: 100}))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1004", 1, "cus_1001", "INV-1004", "posted",
		line{id: "l1", qty: "2", unit: 2500}))
	e.drain()

	if got := e.status(billing.KindInvoice, "inv_1002"); got != "waiting on customer/cus_1002" {
		t.Errorf("invoice before its customer: status %q, want waiting on customer/cus_1002", got)
	}
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1002", 1, "Globex Ltd", "ap@globex.example"))
	e.mustPost(http.StatusAccepted, "invoice.voided", invoice("inv_1004", 2, "cus_1001", "INV-1004", "voided",
		line{id: "l1", qty: "2", unit: 2500}))
	e.drain()

	for _, c := range []struct {
		kind billing.Kind
		id   string
		want string
	}{
		{billing.KindCustomer, "cus_1001", "synced"}, {billing.KindCustomer, "cus_1002", "synced"},
		{billing.KindProduct, "prod_basic", "synced"}, {billing.KindInvoice, "inv_1001", "synced"},
		{billing.KindInvoice, "inv_1002", "synced"}, {billing.KindInvoice, "inv_1004", "synced"},
	} {
		if got := e.status(c.kind, c.id); got != c.want {
			t.Errorf("%s/%s: status %q, want %q", c.kind, c.id, got, c.want)
		}
	}
	if got := e.status(billing.KindInvoice, "inv_1003"); got[:7] != "skipped" {
		t.Errorf("draft invoice: status %q, want skipped", got)
	}

	acme := e.objects("Customer", "select * from Customer where DisplayName = 'Acme Corporation'")
	if len(acme) != 1 {
		t.Fatalf("customers named Acme Corporation: %d, want 1 (v2's name)", len(acme))
	}
	invs := e.objects("Invoice", "select * from Invoice where DocNumber = 'INV-1001'")
	if len(invs) != 1 {
		t.Fatalf("invoices INV-1001 in QuickBooks: %d, want exactly 1", len(invs))
	}
	inv := invs[0]
	if got, want := str(field(inv, "CustomerRef", "value")), str(acme[0]["Id"]); got != want {
		t.Errorf("CustomerRef = %s, want Acme's %s", got, want)
	}
	// v2: 49.00 + 4 × 12.50 + 10.00 − 5.00 discount + 7.28 tax = 111.28
	if str(inv["TotalAmt"]) != "111.28" || str(inv["Balance"]) != "111.28" {
		t.Errorf("TotalAmt %s Balance %s, want 111.28 both", str(inv["TotalAmt"]), str(inv["Balance"]))
	}
	if str(field(inv, "TxnTaxDetail", "TotalTax")) != "7.28" {
		t.Errorf("TotalTax = %s, want 7.28", str(field(inv, "TxnTaxDetail", "TotalTax")))
	}
	checkLines(t, inv["Line"].([]any), []string{"49.00 x1", "50.00 x4", "10.00 x1", "discount 5.00"})

	if n := e.count("select count(*) from Invoice"); n != 3 {
		t.Errorf("invoices in QuickBooks: %d, want 3 (INV-1001, INV-1002, INV-1004; the draft stays out)", n)
	}
	if n := e.count("select count(*) from Customer"); n != 2 {
		t.Errorf("customers in QuickBooks: %d, want 2", n)
	}
	if n := e.count("select count(*) from Item where Name = 'Basic plan'"); n != 1 {
		t.Errorf("items named Basic plan: %d, want 1", n)
	}
	voided := e.objects("Invoice", "select * from Invoice where DocNumber = 'INV-1004'")
	if len(voided) != 1 || str(voided[0]["TotalAmt"]) != "0" && str(voided[0]["TotalAmt"]) != "0.00" {
		t.Errorf("voided INV-1004 = %v, want one invoice with zero total", voided)
	}

	// The same version again (a billing system re-sending) changes
	// nothing: answered as a duplicate, nothing is queued, and QuickBooks
	// sees no request at all.
	e.stack.ResetCounts()
	e.mustPost(http.StatusOK, "invoice.updated", v2)
	e.drain()
	if n := devstack.Total(e.stack.Counts().QBO); n != 0 {
		t.Errorf("re-sent unchanged invoice caused %d QuickBooks requests, want 0: %v", n, e.stack.Counts().QBO)
	}
}

// checkLines compares an invoice's lines, in order, as "amount xqty" or
// "discount amount" (QBO's subtotal line is ignored).
func checkLines(t *testing.T, lines []any, want []string) {
	t.Helper()
	var got []string
	for _, l := range lines {
		switch str(field(l, "DetailType")) {
		case "SalesItemLineDetail":
			got = append(got, str(field(l, "Amount"))+" x"+str(field(l, "SalesItemLineDetail", "Qty")))
		case "DiscountLineDetail":
			got = append(got, "discount "+str(field(l, "Amount")))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("lines = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, got[i], want[i])
		}
	}
}
