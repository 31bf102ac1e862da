package qbosim_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

func noAutoApply(s *sim) {
	s.prefs(map[string]any{"auto_apply_credit": false, "auto_apply_payments": false})
}

// A payment line linked to an invoice lowers its Balance; what is not
// applied is the payment's UnappliedAmt. The invoice lists the payment in
// LinkedTxn and, being changed, gets a new SyncToken. The money sits in
// Undeposited Funds unless DepositToAccountRef says otherwise.
func TestPartialPaymentAndOverpayment(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Pay Co")
	inv := str(s.invoice(cust, "100", nil), "Id")
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("65"),
		"Line": []any{payLine("55", "Invoice", inv)}})
	wantAmounts(t, p, map[string]string{"TotalAmt": "65.00", "UnappliedAmt": "10.00"})
	if str(obj(p, "DepositToAccountRef"), "name") != "Undeposited Funds" {
		t.Errorf("DepositToAccountRef = %v", p["DepositToAccountRef"])
	}
	got := s.read("Invoice", inv)
	wantAmounts(t, got, map[string]string{"Balance": "45.00", "SyncToken": "1"})
	linked := list(got, "LinkedTxn")
	if len(linked) != 1 || str(linked[0].(map[string]any), "TxnId") != str(p, "Id") || str(linked[0].(map[string]any), "TxnType") != "Payment" {
		t.Errorf("LinkedTxn = %v", linked)
	}
	l := s.ledger()
	if l.openAR(cust) != "35.00" || l.account("Undeposited Funds") != "65.00" || l.account("Accounts Receivable (A/R)") != "35.00" {
		t.Errorf("open A/R %s, undeposited %s, A/R %s", l.openAR(cust), l.account("Undeposited Funds"), l.account("Accounts Receivable (A/R)"))
	}
	c := s.read("Customer", cust)
	if str(c, "Balance") != "35.00" {
		t.Errorf("customer Balance = %s", str(c, "Balance"))
	}
	// A second payment into the bank pays the rest.
	s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("45"),
		"DepositToAccountRef": refTo("1"), "Line": []any{payLine("45", "Invoice", inv)}})
	if b := str(s.read("Invoice", inv), "Balance"); b != "0.00" {
		t.Errorf("paid invoice Balance = %s", b)
	}
	if got := s.ledger().account("Checking"); got != "45.00" {
		t.Errorf("Checking = %s", got)
	}
}

// QBO refuses lines that apply more than a document has open, more than the
// payment holds, or to another customer's documents.
func TestPaymentApplicationLimits(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust, other := s.customer("Limit Co"), s.customer("Other Co")
	inv := str(s.invoice(cust, "50", nil), "Id")
	theirs := str(s.invoice(other, "50", nil), "Id")
	tests := []struct {
		name  string
		total string
		lines []any
		code  string
	}{
		{"more than the invoice balance", "60", []any{payLine("60", "Invoice", inv)}, "6000"},
		{"more than the payment", "10", []any{payLine("20", "Invoice", inv)}, "6000"},
		{"another customer's invoice", "10", []any{payLine("10", "Invoice", theirs)}, "6000"},
		{"a missing invoice", "10", []any{payLine("10", "Invoice", "777")}, "2500"},
		{"an unsupported type", "10", []any{payLine("10", "SalesReceipt", inv)}, "6000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantFault(t, s.api(http.MethodPost, "payment", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number(tc.total), "Line": tc.lines}),
				http.StatusBadRequest, tc.code)
		})
	}
	if b := str(s.read("Invoice", inv), "Balance"); b != "50.00" {
		t.Errorf("refused payments changed the invoice: Balance %s", b)
	}
}

// A TotalAmt 0 payment linking a CreditMemo and an Invoice applies the
// credit: the invoice balance and the memo's RemainingCredit both drop, no
// cash moves.
func TestZeroPaymentAppliesCreditMemo(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Credit Co")
	inv := str(s.invoice(cust, "100", nil), "Id")
	cm := s.ok("CreditMemo", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("30")}})
	wantAmounts(t, cm, map[string]string{"TotalAmt": "30.00", "RemainingCredit": "30.00", "Balance": "30.00"})
	if ar := s.ledger().openAR(cust); ar != "70.00" {
		t.Errorf("open A/R with credit = %s", ar)
	}
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("0"),
		"Line": []any{payLine("20", "Invoice", inv), payLine("20", "CreditMemo", str(cm, "Id"))}})
	wantAmounts(t, p, map[string]string{"TotalAmt": "0.00", "UnappliedAmt": "0.00"})
	wantAmounts(t, s.read("Invoice", inv), map[string]string{"Balance": "80.00"})
	wantAmounts(t, s.read("CreditMemo", str(cm, "Id")), map[string]string{"RemainingCredit": "10.00", "SyncToken": "1"})
	l := s.ledger()
	if l.openAR(cust) != "70.00" || l.account("Undeposited Funds") != "0.00" {
		t.Errorf("open A/R %s, undeposited %s", l.openAR(cust), l.account("Undeposited Funds"))
	}
	// Using more credit than remains is refused.
	wantFault(t, s.api(http.MethodPost, "payment", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("0"),
		"Line": []any{payLine("15", "Invoice", inv), payLine("15", "CreditMemo", str(cm, "Id"))}}), http.StatusBadRequest, "6000")
}

// Voiding a payment (operation=update&include=void, the only way QBO voids
// payments) zeroes it and re-opens what it paid; deleting one does the same.
func TestVoidAndDeletePaymentRestoreBalances(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Bounce Co")
	inv := str(s.invoice(cust, "70", nil), "Id")
	pay := func() map[string]any {
		return s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("70"), "Line": []any{payLine("70", "Invoice", inv)}})
	}
	p := pay()
	wantFault(t, s.api(http.MethodPost, "payment?operation=void", map[string]any{"Id": str(p, "Id"), "SyncToken": "0"}), http.StatusBadRequest, "500")
	v := s.ok("Payment", "?operation=update&include=void", map[string]any{"Id": str(p, "Id"), "SyncToken": "0", "sparse": true})
	wantAmounts(t, v, map[string]string{"TotalAmt": "0.00", "UnappliedAmt": "0.00", "PrivateNote": "Voided"})
	inv0 := s.read("Invoice", inv)
	wantAmounts(t, inv0, map[string]string{"Balance": "70.00"})
	if _, linked := inv0["LinkedTxn"]; linked {
		t.Errorf("voided payment still linked: %v", inv0["LinkedTxn"])
	}
	p2 := pay()
	wantAmounts(t, s.read("Invoice", inv), map[string]string{"Balance": "0.00"})
	r := s.api(http.MethodPost, "payment?operation=delete", map[string]any{"Id": str(p2, "Id"), "SyncToken": "0"})
	if r.status != http.StatusOK {
		t.Fatalf("delete payment: %d %s", r.status, r.raw)
	}
	wantAmounts(t, s.read("Invoice", inv), map[string]string{"Balance": "70.00"})
	l := s.ledger()
	if l.openAR(cust) != "70.00" || l.account("Undeposited Funds") != "0.00" {
		t.Errorf("open A/R %s, undeposited %s", l.openAR(cust), l.account("Undeposited Funds"))
	}
}

// Voiding an invoice releases the payments linked to it: their lines go and
// the money becomes unapplied credit.
func TestVoidInvoiceReleasesPayments(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Release Co")
	inv := s.invoice(cust, "40", nil)
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("40"), "Line": []any{payLine("40", "Invoice", str(inv, "Id"))}})
	cur := s.read("Invoice", str(inv, "Id"))
	s.ok("Invoice", "?operation=void", map[string]any{"Id": str(cur, "Id"), "SyncToken": str(cur, "SyncToken")})
	after := s.read("Payment", str(p, "Id"))
	wantAmounts(t, after, map[string]string{"UnappliedAmt": "40.00", "SyncToken": "1"})
	if n := len(list(after, "Line")); n != 0 {
		t.Errorf("payment lines after void = %d", n)
	}
	if ar := s.ledger().openAR(cust); ar != "-40.00" {
		t.Errorf("open A/R = %s, want the payment as credit", ar)
	}
}

// A payment update re-applies: counting back what it applied before.
func TestPaymentUpdateReapplies(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Reapply Co")
	a, b := str(s.invoice(cust, "30", nil), "Id"), str(s.invoice(cust, "30", nil), "Id")
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("30"), "Line": []any{payLine("30", "Invoice", a)}})
	s.ok("Payment", "", map[string]any{"Id": str(p, "Id"), "SyncToken": "0", "sparse": true, "Line": []any{payLine("10", "Invoice", a), payLine("20", "Invoice", b)}})
	wantAmounts(t, s.read("Invoice", a), map[string]string{"Balance": "20.00"})
	wantAmounts(t, s.read("Invoice", b), map[string]string{"Balance": "10.00"})
	// An invoice cannot shrink below what is applied to it.
	cur := s.read("Invoice", b)
	cur["Line"] = []any{itemLine("5")}
	wantFault(t, s.api(http.MethodPost, "invoice", cur), http.StatusBadRequest, "6000")
}

// Voiding a credit memo that a TotalAmt 0 payment applied re-opens the
// invoice: the payment cannot keep paying it without the credit.
func TestVoidCreditMemoReopensInvoice(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Memo Co")
	inv := str(s.invoice(cust, "50", nil), "Id")
	cm := s.ok("CreditMemo", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("20")}})
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("0"),
		"Line": []any{payLine("20", "Invoice", inv), payLine("20", "CreditMemo", str(cm, "Id"))}})
	cur := s.read("CreditMemo", str(cm, "Id"))
	s.ok("CreditMemo", "?operation=void", map[string]any{"Id": str(cm, "Id"), "SyncToken": str(cur, "SyncToken")})
	wantAmounts(t, s.read("Invoice", inv), map[string]string{"Balance": "50.00"})
	if n := len(list(s.read("Payment", str(p, "Id")), "Line")); n != 0 {
		t.Errorf("zero payment keeps %d lines", n)
	}
	// A voided document can still be deleted.
	cur = s.read("CreditMemo", str(cm, "Id"))
	if r := s.api(http.MethodPost, "creditmemo?operation=delete", map[string]any{"Id": str(cm, "Id"), "SyncToken": str(cur, "SyncToken")}); r.status != http.StatusOK {
		t.Errorf("delete voided memo: %d %s", r.status, r.raw)
	}
	if ar := s.ledger().openAR(cust); ar != "50.00" {
		t.Errorf("open A/R = %s", ar)
	}
}

// A credit memo raised after part of it was applied can be applied in
// full at once: the application payment is written again to move and
// raise what it applies, against the memo's new total.
func TestRaisedCreditMemoAppliesInFull(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("Credit Co")
	a := str(s.invoice(cust, "100", nil), "Id")
	b := str(s.invoice(cust, "100", nil), "Id")
	cm := s.ok("CreditMemo", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("23.41")}})
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("0"),
		"Line": []any{payLine("23.41", "Invoice", a), payLine("23.41", "CreditMemo", str(cm, "Id"))}})
	cur := s.read("CreditMemo", str(cm, "Id"))
	s.ok("CreditMemo", "", map[string]any{"Id": str(cm, "Id"), "SyncToken": str(cur, "SyncToken"), "sparse": true,
		"CustomerRef": refTo(cust), "Line": []any{itemLine("35.00")}})
	wantAmounts(t, s.read("CreditMemo", str(cm, "Id")), map[string]string{"TotalAmt": "35.00", "RemainingCredit": "11.59"})
	cur = s.read("Payment", str(p, "Id"))
	s.ok("Payment", "", map[string]any{"Id": str(p, "Id"), "SyncToken": str(cur, "SyncToken"), "sparse": true,
		"CustomerRef": refTo(cust), "TotalAmt": json.Number("0"),
		"Line": []any{payLine("35.00", "Invoice", b), payLine("35.00", "CreditMemo", str(cm, "Id"))}})
	wantAmounts(t, s.read("CreditMemo", str(cm, "Id")), map[string]string{"RemainingCredit": "0.00"})
	wantAmounts(t, s.read("Invoice", b), map[string]string{"Balance": "65.00"})
	wantAmounts(t, s.read("Invoice", a), map[string]string{"Balance": "100.00"})
}
