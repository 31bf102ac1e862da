package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

func euroCustomer(id string) map[string]any {
	c := customer(id, 1, "Euro GmbH", "ap@euro.example")
	c["currency"] = "EUR"
	return c
}

// TestMulticurrencyBooksForeignCurrencyWithItsRate: in a multicurrency
// company a EUR customer is a EUR customer in QuickBooks, and its invoice
// and payment are booked in EUR at billing's exchange rates, so the home
// currency amounts are billing's too.
func TestMulticurrencyBooksForeignCurrencyWithItsRate(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "fx")
	e.control(http.MethodPatch, "preferences", map[string]any{"multicurrency": true})
	e.mustPost(http.StatusAccepted, "customer.created", euroCustomer("cus_eu"))
	inv := invoice("inv_eu", 1, "cus_eu", "EU-1", "posted", line{id: "l1", qty: "1", unit: 10000})
	inv["currency"], inv["exchange_rate"] = "EUR", "1.10"
	e.mustPost(http.StatusAccepted, "invoice.created", inv)
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_eu", "version": 1, "customer_id": "cus_eu",
		"received_on": "2026-11-25", "amount": 10000, "currency": "EUR", "exchange_rate": "1.12", "method": "card",
		"applications": []map[string]any{{"invoice_id": "inv_eu", "amount": 10000}}})
	e.drain()
	for _, k := range []billing.Kind{billing.KindCustomer, billing.KindInvoice, billing.KindPayment} {
		id := map[billing.Kind]string{billing.KindCustomer: "cus_eu", billing.KindInvoice: "inv_eu", billing.KindPayment: "pay_eu"}[k]
		if st := e.status(k, id); st != "synced" {
			t.Errorf("%s/%s: %s", k, id, st)
		}
	}
	cust := e.objects("Customer", "select * from Customer where DisplayName = 'Euro GmbH'")
	if len(cust) != 1 || field(cust[0], "CurrencyRef", "value") != "EUR" {
		t.Fatalf("QuickBooks customer: %v, want one in EUR", cust)
	}
	invs := e.objects("Invoice", "select * from Invoice where DocNumber = 'EU-1'")
	if len(invs) != 1 || field(invs[0], "CurrencyRef", "value") != "EUR" || str(invs[0]["ExchangeRate"]) != "1.1" && str(invs[0]["ExchangeRate"]) != "1.10" ||
		str(invs[0]["TotalAmt"]) != "100.00" || str(invs[0]["HomeTotalAmt"]) != "110.00" || str(invs[0]["Balance"]) != "0.00" && str(invs[0]["Balance"]) != "0" {
		t.Errorf("QuickBooks invoice: %v, want 100.00 EUR at 1.10 (110.00 USD), paid", invs)
	}
	pays := e.objects("Payment", "select * from Payment")
	if len(pays) != 1 || field(pays[0], "CurrencyRef", "value") != "EUR" || !strings.HasPrefix(str(pays[0]["ExchangeRate"]), "1.12") {
		t.Errorf("QuickBooks payment: %v, want EUR at 1.12", pays)
	}
}

// TestForeignCurrencyInSingleCurrencyCompanyIsAWarning: without
// multicurrency a EUR customer is not booked as a USD one: it gets a
// warning saying why.
func TestForeignCurrencyInSingleCurrencyCompanyIsAWarning(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "fx")
	e.mustPost(http.StatusAccepted, "customer.created", euroCustomer("cus_eu"))
	e.drain()
	if st := e.status(billing.KindCustomer, "cus_eu"); !strings.HasPrefix(st, "warning") || !strings.Contains(st, "ulticurrency") {
		t.Errorf("EUR customer in a USD-only company: %s, want a warning about multicurrency", st)
	}
	if n := e.count("select count(*) from Customer"); n != 0 {
		t.Errorf("customers in QuickBooks = %d, want 0", n)
	}
}
