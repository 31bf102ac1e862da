package syncer

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got, as indented JSON, with testdata/name.golden.json.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(want, b) {
		t.Errorf("%s differs from golden file:\ngot:\n%s\nwant:\n%s", name, b, want)
	}
}

func decodeFile[T any](t *testing.T, kind billing.Kind, name string) T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	ent, err := billing.Decode(kind, raw)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ent.(T)
}

var usSettings = record.Settings{RevenueAccountID: "41", DiscountAccountID: "86", DefaultItemID: "19", TaxMode: record.TaxUSOverride}

func TestMapInvoice(t *testing.T) {
	vat := record.Settings{RevenueAccountID: "41", DiscountAccountID: "86", DefaultItemID: "19", TaxMode: record.TaxCodes,
		TaxCodes: map[string]string{"VAT20": "3", "ZERO": "5"}}
	tests := []struct {
		name     string
		in       string
		settings record.Settings
		refs     invoiceRefs
	}{
		{"invoice_us_override", "invoice_us_override.in.json", usSettings,
			invoiceRefs{customerID: "58", items: map[string]string{"prod_basic": "20", "prod_addon": "21"}}},
		{"invoice_tax_codes", "invoice_tax_codes.in.json", vat,
			invoiceRefs{customerID: "7", items: map[string]string{"prod_books": "30"}}},
		{"invoice_zero", "invoice_zero.in.json", usSettings, invoiceRefs{customerID: "58"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := decodeFile[*billing.Invoice](t, billing.KindInvoice, tc.in)
			got, err := mapInvoice("acme", v, tc.settings, tc.refs)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
		})
	}
}

func TestMapInvoiceRefusals(t *testing.T) {
	v := decodeFile[*billing.Invoice](t, billing.KindInvoice, "invoice_tax_codes.in.json")
	tests := []struct {
		name     string
		settings record.Settings
		want     string
	}{
		{"unmapped tax code", record.Settings{TaxMode: record.TaxCodes, TaxCodes: map[string]string{"VAT20": "3"}},
			`line 2: billing tax code "ZERO" has no QuickBooks tax code in the tax-code map; add it in settings, then resend`},
		{"tax without a tax mode", record.Settings{TaxMode: record.TaxNone},
			"the invoice has tax but the tax mode is none; choose a tax mode in settings, then resend"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mapInvoice("acme", v, tc.settings, invoiceRefs{customerID: "7"})
			var pe *PermanentError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a PermanentError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("err = %q\nwant %q", err, tc.want)
			}
		})
	}
}

func TestMapCustomer(t *testing.T) {
	c := &billing.Customer{ID: "cus_9", Version: 2, DisplayName: "O'Brien & Sons", Email: "ap@obrien.example",
		CompanyName: "O'Brien & Sons Ltd", Phone: "+1 555 0100", Currency: "USD",
		BillingAddress: &billing.Address{Line1: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", Country: "US"}}
	golden(t, "customer", mapCustomer("acme", c, ""))
	sub := mapCustomer("acme", &billing.Customer{ID: "cus_10", DisplayName: "Acme East", Currency: "USD"}, "58")
	if sub.ParentRef == nil || sub.ParentRef.Value != "58" || sub.Job == nil || !*sub.Job {
		t.Errorf("sub-customer: ParentRef %+v Job %v, want parent 58 as a job", sub.ParentRef, sub.Job)
	}
}

func TestMapProduct(t *testing.T) {
	p := &billing.Product{ID: "prod_1", Name: "Basic plan: monthly", SKU: "BASIC", Description: "Monthly", Active: true}
	tests := []struct {
		name    string
		deleted bool
		active  bool
	}{
		{"product_active", false, true},
		{"product_archived", false, false},
		{"product_deleted", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p.Active = tc.active
			golden(t, tc.name, mapProduct(p, "41", tc.deleted))
		})
	}
}

func TestRequestIDIsStableAndShort(t *testing.T) {
	a := requestID("acme", "invoice", "inv_1", "3", "create", "0")
	if a != requestID("acme", "invoice", "inv_1", "3", "create", "0") {
		t.Error("the same write must get the same requestid on every retry")
	}
	if a == requestID("acme", "invoice", "inv_1", "4", "create", "0") {
		t.Error("a different version must get a different requestid")
	}
	if len(a) != 32 {
		t.Errorf("len = %d, want 32 (QBO allows 50)", len(a))
	}
}
