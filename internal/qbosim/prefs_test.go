package qbosim_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Preferences set through the control surface read back through
// /preferences where Intuit's schema keeps them.
func TestPreferencesReadBack(t *testing.T) {
	s := newSim(t, "")
	s.prefs(map[string]any{"books_closed_date": "2025-12-31", "custom_txn_numbers": true, "auto_apply_credit": false,
		"multicurrency": true, "duplicate_doc_number_check": false})
	r := s.api(http.MethodGet, "preferences?minorversion=75", nil)
	p := obj(r.body, "Preferences")
	if got := str(obj(p, "AccountingInfoPrefs"), "BookCloseDate"); got != "2025-12-31" {
		t.Errorf("BookCloseDate = %q", got)
	}
	sales := obj(p, "SalesFormsPrefs")
	wantAmounts(t, sales, map[string]string{"CustomTxnNumbers": "true", "AutoApplyCredit": "false", "AutoApplyPayments": "true"})
	cur := obj(p, "CurrencyPrefs")
	if str(cur, "MultiCurrencyEnabled") != "true" || str(obj(cur, "HomeCurrency"), "value") != "USD" {
		t.Errorf("CurrencyPrefs = %v", cur)
	}
	if str(obj(p, "TaxPrefs"), "PartnerTaxEnabled") != "true" {
		t.Errorf("TaxPrefs = %v", p["TaxPrefs"])
	}
	found := false
	for _, nv := range list(obj(p, "OtherPrefs"), "NameValue") {
		nv := nv.(map[string]any)
		found = found || (nv["Name"] == "WarnDuplicateDocNum" && nv["Value"] == "false")
	}
	if !found {
		t.Errorf("OtherPrefs lacks WarnDuplicateDocNum=false: %v", p["OtherPrefs"])
	}
	if q := list(s.query("select * from Preferences"), "Preferences"); len(q) != 1 {
		t.Errorf("query Preferences = %v", q)
	}
	// Multicurrency cannot be turned off again; bad values are refused.
	for _, bad := range []map[string]any{{"multicurrency": false}, {"books_closed_date": "31/12/2025"}, {"tax_model": "GST"}, {"home_currency": "XXX"}, {"bogus": 1}} {
		if r := s.control(http.MethodPatch, "preferences", bad); r.status == http.StatusOK {
			t.Errorf("patch %v accepted", bad)
		}
	}
}

// Writes dated on or before the books-closed date are refused with 6210
// (Account Period Closed): creates, updates, voids and deletes alike.
func TestBooksClosedDate(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Closed Co")
	old := s.invoice(cust, "10", map[string]any{"TxnDate": "2025-12-20"})
	s.prefs(map[string]any{"books_closed_date": "2025-12-31"})
	for _, date := range []string{"2025-12-31", "2025-06-01"} {
		e := wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "TxnDate": date, "Line": []any{itemLine("1")}}),
			http.StatusBadRequest, "6210")
		if e["Message"] != "Account Period Closed" {
			t.Errorf("Message = %v", e["Message"])
		}
	}
	s.invoice(cust, "1", map[string]any{"TxnDate": "2026-01-01"})
	id := str(old, "Id")
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"Id": id, "SyncToken": "0", "sparse": true, "TxnDate": "2026-02-01"}), http.StatusBadRequest, "6210")
	wantFault(t, s.api(http.MethodPost, "invoice?operation=void", map[string]any{"Id": id, "SyncToken": "0"}), http.StatusBadRequest, "6210")
	wantFault(t, s.api(http.MethodPost, "invoice?operation=delete", map[string]any{"Id": id, "SyncToken": "0"}), http.StatusBadRequest, "6210")
	wantFault(t, s.api(http.MethodPost, "payment", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("1"), "TxnDate": "2025-12-01"}),
		http.StatusBadRequest, "6210")
	// A payment dated in the open period may still pay the closed-period invoice.
	s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("10"), "Line": []any{payLine("10", "Invoice", id)}})
}

// AutoApplyPayments: a payment without lines pays open invoices, oldest
// first. AutoApplyCredit: a new invoice takes existing credits (unapplied
// payments, credit memos through a TotalAmt 0 payment).
func TestAutoApply(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Auto Co")
	newer := str(s.invoice(cust, "50", map[string]any{"TxnDate": "2026-03-10"}), "Id")
	older := str(s.invoice(cust, "30", map[string]any{"TxnDate": "2026-03-01"}), "Id")
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("40")})
	wantAmounts(t, p, map[string]string{"UnappliedAmt": "0.00"})
	wantAmounts(t, s.read("Invoice", older), map[string]string{"Balance": "0.00"})
	wantAmounts(t, s.read("Invoice", newer), map[string]string{"Balance": "40.00"})

	// An overpayment's remainder is taken by the next invoice.
	over := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("100"), "Line": []any{payLine("40", "Invoice", newer)}})
	wantAmounts(t, over, map[string]string{"UnappliedAmt": "60.00"})
	next := s.invoice(cust, "25", nil)
	wantAmounts(t, next, map[string]string{"Balance": "0.00"})
	wantAmounts(t, s.read("Payment", str(over, "Id")), map[string]string{"UnappliedAmt": "35.00", "SyncToken": "1"})

	// A credit memo is applied to the next invoice through a zero payment.
	cm := s.ok("CreditMemo", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("200")}})
	inv := s.invoice(cust, "80", nil)
	wantAmounts(t, inv, map[string]string{"Balance": "0.00"})
	wantAmounts(t, s.read("Payment", str(over, "Id")), map[string]string{"UnappliedAmt": "0.00"})
	wantAmounts(t, s.read("CreditMemo", str(cm, "Id")), map[string]string{"RemainingCredit": "155.00"})
	zero := list(s.query("select * from Payment where TotalAmt = '0'"), "Payment")
	if len(zero) != 1 {
		t.Fatalf("zero payments = %d", len(zero))
	}
	if l := s.ledger(); l.openAR(cust) != "-155.00" {
		t.Errorf("open A/R = %s", l.openAR(cust))
	}

	// Turned off, nothing is applied.
	noAutoApply(s)
	p2 := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("5")})
	wantAmounts(t, p2, map[string]string{"UnappliedAmt": "5.00"})
}

// With multicurrency on, a customer has one currency and its transactions
// must use it; amounts in the home currency follow the ExchangeRate.
// Without it, only the home currency exists.
func TestMulticurrency(t *testing.T) {
	s := newSim(t, "")
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"DisplayName": "Euro Co", "CurrencyRef": refTo("EUR")}), http.StatusBadRequest, "6000")
	s.prefs(map[string]any{"multicurrency": true, "auto_apply_credit": false})
	eur := str(s.ok("Customer", "", map[string]any{"DisplayName": "Euro Co", "CurrencyRef": refTo("EUR")}), "Id")
	wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(eur), "CurrencyRef": refTo("USD"), "Line": []any{itemLine("10")}}),
		http.StatusBadRequest, "6000")
	inv := s.invoice(eur, "100", map[string]any{"ExchangeRate": json.Number("1.1")})
	wantAmounts(t, inv, map[string]string{"TotalAmt": "100.00", "HomeTotalAmt": "110.00", "HomeBalance": "110.00"})
	if str(obj(inv, "CurrencyRef"), "value") != "EUR" {
		t.Errorf("CurrencyRef = %v", inv["CurrencyRef"])
	}
	l := s.ledger()
	if l.openAR(eur) != "100.00" || l.account("Accounts Receivable (A/R)") != "110.00" {
		t.Errorf("open A/R %s (EUR), A/R account %s (USD)", l.openAR(eur), l.account("Accounts Receivable (A/R)"))
	}
	// The currency is fixed once the customer has transactions.
	c := s.read("Customer", eur)
	wantFault(t, s.api(http.MethodPost, "customer", map[string]any{"Id": eur, "SyncToken": str(c, "SyncToken"), "sparse": true, "CurrencyRef": refTo("GBP")}),
		http.StatusBadRequest, "6000")
}

// VAT companies need GlobalTaxCalculation and a real TaxCode Id on every
// sales line; QBO computes the tax per rate.
func TestVATCompany(t *testing.T) {
	s := newSim(t, "GB")
	codes := list(s.query("select * from TaxCode where Name = '20.0% S'"), "TaxCode")
	if len(codes) != 1 {
		t.Fatalf("VAT codes = %v", codes)
	}
	std := str(codes[0].(map[string]any), "Id")
	cust := s.customer("VAT Co")
	line := func(amount, code string) map[string]any {
		l := itemLine(amount)
		if code != "" {
			l["SalesItemLineDetail"].(map[string]any)["TaxCodeRef"] = refTo(code)
		}
		return l
	}
	body := func(calc string, lines ...any) map[string]any {
		b := map[string]any{"CustomerRef": refTo(cust), "Line": lines}
		if calc != "" {
			b["GlobalTaxCalculation"] = calc
		}
		return b
	}
	wantFault(t, s.api(http.MethodPost, "invoice", body("", line("100", std))), http.StatusBadRequest, "6000")
	wantFault(t, s.api(http.MethodPost, "invoice", body("TaxExcluded", line("100", ""))), http.StatusBadRequest, "6000")
	wantFault(t, s.api(http.MethodPost, "invoice", body("TaxExcluded", line("100", "TAX"))), http.StatusBadRequest, "6000")
	wantFault(t, s.api(http.MethodPost, "invoice", body("TaxExcluded", line("100", "777"))), http.StatusBadRequest, "2500")
	ex := s.ok("Invoice", "", body("TaxExcluded", line("100", std), line("0.05", std)))
	wantAmounts(t, ex, map[string]string{"TotalAmt": "120.06"})
	taxLines := list(obj(ex, "TxnTaxDetail"), "TaxLine")
	if len(taxLines) != 1 || str(taxLines[0].(map[string]any), "Amount") != "20.01" {
		t.Errorf("TaxLine = %v", taxLines)
	}
	in := s.ok("Invoice", "", body("TaxInclusive", line("120", std)))
	wantAmounts(t, in, map[string]string{"TotalAmt": "120.00"})
	if tax := str(obj(in, "TxnTaxDetail"), "TotalTax"); tax != "20.00" {
		t.Errorf("inclusive tax = %s", tax)
	}
	if got := s.ledger().account("VAT Control"); got != "40.01" {
		t.Errorf("VAT Control = %s", got)
	}
}

// Before any transaction the home currency and tax model may change: the
// company's records follow, and a VAT model brings its tax codes.
func TestHomeCurrencyAndTaxModelChange(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Maple Co")
	s.prefs(map[string]any{"home_currency": "CAD", "tax_model": "VAT"})
	if cur := str(obj(s.read("Customer", cust), "CurrencyRef"), "value"); cur != "CAD" {
		t.Errorf("customer currency = %s", cur)
	}
	if n := str(s.query("select count(*) from TaxCode"), "totalCount"); n != "7" {
		t.Errorf("tax codes = %s, want TAX, NON and five VAT codes", n)
	}
	s.ok("Invoice", "", map[string]any{"CustomerRef": refTo(cust), "GlobalTaxCalculation": "NotApplicable",
		"Line": []any{map[string]any{"Amount": json.Number("10"), "DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": map[string]any{"TaxCodeRef": refTo(str(list(s.query("select * from TaxCode where Name = 'No VAT'"), "TaxCode")[0].(map[string]any), "Id"))}}}})
	if r := s.control(http.MethodPatch, "preferences", map[string]any{"home_currency": "USD"}); r.status != http.StatusConflict {
		t.Errorf("home currency change after a transaction: %d", r.status)
	}
}
