package qbosim_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Invoice TotalAmt is the lines less the discount plus the US tax override
// (TxnTaxDetail.TotalTax); Balance starts at TotalAmt; QBO appends a
// SubTotal line and numbers the lines.
func TestInvoiceTotals(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Totals Co")
	qty := itemLine("150.00")
	qty["SalesItemLineDetail"].(map[string]any)["Qty"] = json.Number("3")
	qty["SalesItemLineDetail"].(map[string]any)["UnitPrice"] = json.Number("50")
	inv := s.ok("Invoice", "", map[string]any{
		"CustomerRef": refTo(cust),
		"Line": []any{qty, itemLine("0.10"), map[string]any{
			"DetailType": "DiscountLineDetail", "Amount": json.Number("15.01"),
			"DiscountLineDetail": map[string]any{"PercentBased": false},
		}},
		"TxnTaxDetail": map[string]any{"TotalTax": json.Number("12.34")},
	})
	wantAmounts(t, inv, map[string]string{"TotalAmt": "147.43", "Balance": "147.43", "DocNumber": "1001", "TxnDate": "2026-03-15", "DueDate": "2026-04-14"})
	if got := str(obj(inv, "TxnTaxDetail"), "TotalTax"); got != "12.34" {
		t.Errorf("TotalTax = %s", got)
	}
	lines := list(inv, "Line")
	if len(lines) != 4 {
		t.Fatalf("lines = %d, want 3 + SubTotal", len(lines))
	}
	sub := lines[3].(map[string]any)
	if str(sub, "DetailType") != "SubTotalLineDetail" || str(sub, "Amount") != "150.10" {
		t.Errorf("subtotal line = %v", sub)
	}
	if str(lines[0].(map[string]any), "Id") != "1" || str(lines[2].(map[string]any), "LineNum") != "3" {
		t.Errorf("line numbering = %v", lines)
	}
	l := s.ledger()
	for name, want := range map[string]string{"Accounts Receivable (A/R)": "147.43", "Services": "150.10", "Sales Tax Payable": "12.34"} {
		if got := l.account(name); got != want {
			t.Errorf("%s balance = %s, want %s", name, got, want)
		}
	}
	// Income accounts are credit-normal; Discounts given holds the discount as a debit.
	if got := l.account("Discounts given"); got != "-15.01" {
		t.Errorf("Discounts given = %s", got)
	}
}

// A percent discount is computed on the subtotal, rounded half away from zero.
func TestPercentDiscount(t *testing.T) {
	s := newSim(t, "")
	inv := s.ok("Invoice", "", map[string]any{"CustomerRef": refTo(s.customer("Pct Co")), "Line": []any{itemLine("33.33"),
		map[string]any{"DetailType": "DiscountLineDetail", "DiscountLineDetail": map[string]any{"PercentBased": true, "DiscountPercent": json.Number("15")}}}})
	wantAmounts(t, inv, map[string]string{"TotalAmt": "28.33"}) // 33.33 - 5.00 (4.9995)
}

// QBO rejects a line whose Amount is not Qty × UnitPrice, amounts with
// sub-cent precision, and invoices that total below zero.
func TestInvoiceAmountValidation(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Strict Co")
	bad := itemLine("100.00")
	bad["SalesItemLineDetail"].(map[string]any)["Qty"] = json.Number("3")
	bad["SalesItemLineDetail"].(map[string]any)["UnitPrice"] = json.Number("33.33")
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "Line": []any{bad}}), http.StatusBadRequest, "6070")
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("1.005")}}), http.StatusBadRequest, "6000")
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("-5")}}), http.StatusBadRequest, "6000")
	// Exact decimals survive where binary floats would not: 0.1 + 0.2.
	inv := s.ok("Invoice", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("0.1"), itemLine("0.2")}})
	wantAmounts(t, inv, map[string]string{"TotalAmt": "0.30"})
}

// DocNumber: automatic (1001, 1002, ...) unless custom numbers are on;
// duplicates refused with 6140 while the duplicate check is on, unless the
// call says include=allowduplicatedocnum; at most 21 characters.
func TestDocNumbers(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Numbers Co")
	if dn := str(s.invoice(cust, "1", nil), "DocNumber"); dn != "1001" {
		t.Errorf("first auto number = %s", dn)
	}
	if dn := str(s.invoice(cust, "1", map[string]any{"DocNumber": "INV-7"}), "DocNumber"); dn != "INV-7" {
		t.Errorf("given number = %s", dn)
	}
	e := wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "DocNumber": "inv-7", "Line": []any{itemLine("1")}}),
		http.StatusBadRequest, "6140")
	if e["Message"] != "Duplicate Document Number Error" {
		t.Errorf("Message = %v", e["Message"])
	}
	s.ok("Invoice", "?include=allowduplicatedocnum", map[string]any{"CustomerRef": refTo(cust), "DocNumber": "INV-7", "Line": []any{itemLine("1")}})
	// Another transaction type has its own numbers.
	s.ok("CreditMemo", "", map[string]any{"CustomerRef": refTo(cust), "DocNumber": "INV-7", "Line": []any{itemLine("1")}})
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "DocNumber": "1234567890123456789012", "Line": []any{itemLine("1")}}),
		http.StatusBadRequest, "2050")
	s.prefs(map[string]any{"custom_txn_numbers": true, "duplicate_doc_number_check": false})
	if dn := str(s.invoice(cust, "1", nil), "DocNumber"); dn != "" {
		t.Errorf("custom numbers on: DocNumber = %q, want none", dn)
	}
	if dn := str(s.invoice(cust, "1", map[string]any{"DocNumber": "AUTO_GENERATE"}), "DocNumber"); dn != "1002" {
		t.Errorf("AUTO_GENERATE = %q", dn)
	}
	s.invoice(cust, "1", map[string]any{"DocNumber": "INV-7"}) // duplicate check off
}

// A full update replaces the line list: kept lines keep their Id, new
// lines get new ones, omitted lines go; totals follow.
func TestInvoiceUpdateReplacesLines(t *testing.T) {
	s := newSim(t, "")
	inv := s.invoice(s.customer("Lines Co"), "10", nil)
	first := list(inv, "Line")[0].(map[string]any)
	first["Amount"] = json.Number("12")
	inv["Line"] = []any{first, itemLine("3")}
	up := s.ok("Invoice", "", inv)
	lines := list(up, "Line")
	if str(lines[0].(map[string]any), "Id") != "1" || str(lines[1].(map[string]any), "Id") != "2" {
		t.Errorf("line ids = %v", lines)
	}
	wantAmounts(t, up, map[string]string{"TotalAmt": "15.00", "Balance": "15.00", "SyncToken": "1"})
	sparse := s.ok("Invoice", "", map[string]any{"Id": str(up, "Id"), "SyncToken": "1", "sparse": true, "Line": []any{itemLine("2")}})
	wantAmounts(t, sparse, map[string]string{"TotalAmt": "2.00"})
}

// Voiding keeps the invoice with zero amounts; deleting removes it; both
// need the current SyncToken.
func TestInvoiceVoidAndDelete(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Void Co")
	inv := s.invoice(cust, "80", nil)
	id := str(inv, "Id")
	wantFault(t, s.api(http.MethodPost, "invoice?operation=void", map[string]any{"Id": id, "SyncToken": "7"}), http.StatusBadRequest, "5010")
	v := s.ok("Invoice", "?operation=void", map[string]any{"Id": id, "SyncToken": "0"})
	wantAmounts(t, v, map[string]string{"TotalAmt": "0.00", "Balance": "0.00", "PrivateNote": "Voided", "SyncToken": "1"})
	if amt := str(list(v, "Line")[0].(map[string]any), "Amount"); amt != "0.00" {
		t.Errorf("voided line Amount = %s", amt)
	}
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"Id": id, "SyncToken": "1", "sparse": true, "PrivateNote": "x"}),
		http.StatusBadRequest, "6000")
	if l := s.ledger(); l.openAR(cust) != "0.00" || l.account("Accounts Receivable (A/R)") != "0.00" {
		t.Errorf("after void: open A/R %s, A/R account %s", l.openAR(cust), l.account("Accounts Receivable (A/R)"))
	}
	other := s.invoice(cust, "5", nil)
	r := s.api(http.MethodPost, "invoice?operation=delete", map[string]any{"Id": str(other, "Id"), "SyncToken": "0"})
	if r.status != http.StatusOK || str(obj(r.body, "Invoice"), "status") != "Deleted" {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantFault(t, s.api(http.MethodGet, "invoice/"+str(other, "Id"), nil), http.StatusBadRequest, "610")
}
