package syncer

import (
	"errors"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

var saleSettings = record.Settings{RevenueAccountID: "41", DepositAccountID: "4", RefundAccountID: "35",
	DiscountAccountID: "86", DefaultItemID: "19", TaxMode: record.TaxUSOverride}

func TestMapSale(t *testing.T) {
	s := decodeFile[*billing.Sale](t, billing.KindSale, "sale.in.json")
	got, err := mapSale("acme", s, saleSettings, saleRefs{customerID: "58", items: map[string]string{"prod_basic": "20"}, methodID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sale", got)
}

func TestMapSaleRefund(t *testing.T) {
	f := &billing.Refund{ID: "ref_2001", Version: 1, CustomerID: "cus_2001", SaleID: "sale_1001",
		RefundedOn: mustDate(t, "2026-11-30"), Amount: 2999, Currency: "USD"}
	got, err := mapSaleRefund("acme", f, saleSettings, "58")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sale_refund", got)
}

func mustDate(t *testing.T, s string) billing.Date {
	t.Helper()
	d, err := billing.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPickByEmail(t *testing.T) {
	own := mark{tenant: "acme", kind: billing.KindCustomer, id: "cus_1"}
	mine := own.String()
	cust := func(id, email, notes string) qbo.Customer {
		return qbo.Customer{ID: id, Notes: notes, PrimaryEmailAddr: &qbo.EmailAddress{Address: email}}
	}
	tests := []struct {
		name   string
		all    []qbo.Customer
		wantID string
		refuse string
	}{
		{"marker wins over e-mail", []qbo.Customer{cust("1", "a@x.example", ""), cust("2", "other@x.example", mine)}, "2", ""},
		{"one unclaimed e-mail", []qbo.Customer{cust("1", "A@X.example ", "")}, "1", ""},
		{"another billing customer's is never taken",
			[]qbo.Customer{cust("1", "a@x.example", marker("acme", billing.KindCustomer, "cus_2"))}, "", ""},
		{"two unclaimed are ambiguous", []qbo.Customer{cust("1", "a@x.example", ""), cust("7", "a@x.example", "")}, "",
			"2 QuickBooks customers have the e-mail a@x.example (ids 1, 7)"},
		{"none", []qbo.Customer{cust("1", "b@x.example", "")}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := pickByEmail(tc.all, "a@x.example", own)
			var pe *PermanentError
			switch {
			case tc.refuse != "":
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.refuse) {
					t.Fatalf("err = %v, want a PermanentError with %q", err, tc.refuse)
				}
			case err != nil:
				t.Fatal(err)
			case ok != (tc.wantID != "") || got.ID != tc.wantID:
				t.Errorf("picked %q (found %v), want %q", got.ID, ok, tc.wantID)
			}
		})
	}
}
