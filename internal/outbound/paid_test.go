package outbound_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/qbosync/qbosync/internal/outbound"
)

// An invoice observed paid many times, by several readers, is one event;
// reopened (a payment removed) and paid again, it is a second one.
func TestInvoicePaidOncePerTimeItIsPaid(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS)
	inv := outbound.InvoiceBalance{Tenant: "acme", InvoiceID: "inv_1001", CustomerID: "cus_1001", RealmID: "9130",
		QBOID: "145", DocNumber: "INV-1001", Currency: "USD", Total: 8937, Balance: 8937}
	observe := func(balance int64, times int) {
		t.Helper()
		inv.Balance = balance
		for range times {
			if err := s.ObserveInvoice(ctx, inv); err != nil {
				t.Fatal(err)
			}
		}
	}
	observe(8937, 2)
	observe(4000, 1)
	if msgs := e.drain(t); len(msgs) != 0 {
		t.Fatalf("events before the invoice is paid: %q", msgs)
	}
	observe(0, 3)
	first := e.drain(t)
	if len(first) != 1 {
		t.Fatalf("events after paid in full, observed three times: %q, want one", first)
	}
	observe(1500, 1)
	observe(0, 2)
	second := e.drain(t)
	if len(second) != 1 || second[0] == first[0] {
		t.Fatalf("events after reopened and paid again: %q (first %q), want one new event", second, first)
	}
	var m struct{ ID string }
	if err := json.Unmarshal([]byte(first[0]), &m); err != nil {
		t.Fatal(err)
	}
	d, err := s.Delivery(ctx, "acme", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]string
	if err := json.Unmarshal(d.Data, &data); err != nil {
		t.Fatal(err)
	}
	if d.Type != outbound.TypeInvoicePaid || data["invoice_id"] != "inv_1001" || data["total"] != "89.37" ||
		data["qbo_invoice_id"] != "145" || data["doc_number"] != "INV-1001" || data["customer_id"] != "cus_1001" {
		t.Errorf("event %s %v, want quickbooks.invoice.paid of inv_1001 for 89.37", d.Type, data)
	}
}

// An invoice of zero, or a voided one, is never paid.
func TestZeroAndVoidedInvoicesAreNotPaid(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.store(stack.SQS)
	for _, inv := range []outbound.InvoiceBalance{
		{Tenant: "acme", InvoiceID: "inv_zero", Currency: "USD"},
		{Tenant: "acme", InvoiceID: "inv_void", Currency: "USD", Total: 500, Voided: true},
	} {
		if err := s.ObserveInvoice(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := e.drain(t); len(msgs) != 0 {
		t.Errorf("events: %q, want none", msgs)
	}
}
