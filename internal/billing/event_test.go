package billing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseEventInvoice(t *testing.T) {
	ev, err := ParseEvent(readSample(t, "04-invoice-inv_1001.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_demo_0004" || ev.Type != "invoice.created" || ev.Kind != KindInvoice || ev.Action != ActionCreated {
		t.Errorf("envelope = %q %q %q %q", ev.ID, ev.Type, ev.Kind, ev.Action)
	}
	if want := time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC); !ev.OccurredAt.Equal(want) {
		t.Errorf("OccurredAt = %v, want %v", ev.OccurredAt, want)
	}
	inv, ok := ev.Entity.(*Invoice)
	if !ok {
		t.Fatalf("Entity is %T, want *Invoice", ev.Entity)
	}
	want := &Invoice{
		ID: "inv_1001", Version: 1, CustomerID: "cus_1001", Number: "INV-1001", Status: InvoicePosted,
		IssuedOn: Date{2026, time.November, 21}, DueOn: Date{2026, time.December, 21}, Currency: "USD",
		Lines: []InvoiceLine{
			{ID: "li_1", ProductID: "prod_basic", Description: "Basic plan, November 2026", Quantity: "1",
				UnitAmount: 4900, Amount: 4900, TaxAmount: 392, TaxCode: "TAX"},
			{ID: "li_2", ProductID: "prod_addon", Description: "Extra seats, November 2026 (10% off)", Quantity: "3",
				UnitAmount: 1250, Amount: 3750, DiscountAmount: 375, TaxAmount: 270, TaxCode: "TAX"},
		},
		Subtotal: 8650, DiscountTotal: 375, TaxTotal: 662, Total: 8937, AmountDue: 8937,
		Notes: "Thank you for your business.",
	}
	if diff := cmp.Diff(want, inv); diff != "" {
		t.Errorf("invoice (-want +got):\n%s", diff)
	}
	wantRefs := []Ref{{KindCustomer, "cus_1001"}, {KindProduct, "prod_basic"}, {KindProduct, "prod_addon"}}
	if diff := cmp.Diff(wantRefs, inv.Refs()); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
	if inv.CustomerRef() != "cus_1001" || inv.EntityCurrency() != "USD" {
		t.Errorf("CustomerRef, EntityCurrency = %q, %q", inv.CustomerRef(), inv.EntityCurrency())
	}
}

func TestEntityRefs(t *testing.T) {
	tests := []struct {
		file     string
		customer string
		currency string
		refs     []Ref
	}{
		{"01-customer-cus_1001.json", "cus_1001", "USD", nil},
		{"catalog/customer.deleted.json", "cus_1003", "USD", []Ref{{KindCustomer, "cus_1001"}}},
		{"02-product-prod_basic.json", "", "", nil},
		{"05-payment-pay_1001.json", "cus_1001", "USD", []Ref{{KindCustomer, "cus_1001"}, {KindInvoice, "inv_1001"}}},
		{"catalog/payment.split.json", "cus_1001", "USD",
			[]Ref{{KindCustomer, "cus_1001"}, {KindInvoice, "inv_1001"}, {KindInvoice, "inv_1003"}}},
		{"catalog/refund.created.json", "cus_1001", "USD", []Ref{{KindCustomer, "cus_1001"}, {KindPayment, "pay_1002"}}},
		{"catalog/credit.created.json", "cus_1001", "USD",
			[]Ref{{KindCustomer, "cus_1001"}, {KindProduct, "prod_basic"}, {KindInvoice, "inv_1003"}}},
		{"catalog/charge_reversal.created.json", "cus_1001", "USD", []Ref{{KindCustomer, "cus_1001"}, {KindInvoice, "inv_1001"}}},
		{"catalog/write_off.created.json", "cus_1002", "USD", []Ref{{KindCustomer, "cus_1002"}, {KindInvoice, "inv_1002"}}},
		{"catalog/credit.kwd.json", "cus_kw_01", "KWD", []Ref{{KindCustomer, "cus_kw_01"}}},
		// A sale naming its customer inline has no customer parent.
		{"catalog/sale.created.json", "", "USD", []Ref{{KindProduct, "prod_basic"}}},
		{"catalog/refund.sale.json", "", "USD", []Ref{{KindSale, "sale_1001"}}},
	}
	for _, tt := range tests {
		ev, err := ParseEvent(readSample(t, tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		e := ev.Entity
		if e.CustomerRef() != tt.customer || e.EntityCurrency() != tt.currency {
			t.Errorf("%s: CustomerRef, EntityCurrency = %q, %q; want %q, %q",
				tt.file, e.CustomerRef(), e.EntityCurrency(), tt.customer, tt.currency)
		}
		if diff := cmp.Diff(tt.refs, e.Refs()); diff != "" {
			t.Errorf("%s: Refs (-want +got):\n%s", tt.file, diff)
		}
	}
}

// problemsOf returns "field: problem" lines of a ParseEvent error.
func problemsOf(t *testing.T, body []byte) []Problem {
	t.Helper()
	_, err := ParseEvent(body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("ParseEvent error = %v, want *ValidationError", err)
	}
	if len(ve.Problems) == 0 {
		t.Fatal("ValidationError without problems")
	}
	return ve.Problems
}

// want is an expected problem: its field and a phrase of its text.
type want struct{ field, phrase string }

func checkProblems(t *testing.T, got []Problem, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(wants), fmtProblems(got))
		return
	}
	for i, w := range wants {
		if got[i].Field != w.field || !strings.Contains(got[i].Problem, w.phrase) {
			t.Errorf("problem %d = %s: %s; want %s: …%s…", i, got[i].Field, got[i].Problem, w.field, w.phrase)
		}
	}
}

func fmtProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s: %s\n", p.Field, p.Problem)
	}
	return b.String()
}
