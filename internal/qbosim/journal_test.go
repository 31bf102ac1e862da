package qbosim_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Journal entries must balance, and a line on Accounts Receivable must name
// the customer ("When you use Accounts Receivable, you must choose a
// customer in the Name field").
func TestJournalEntryValidation(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Journal Co")
	e := wantFault(t, s.api(http.MethodPost, "journalentry", map[string]any{"Line": []any{
		jeLine("Debit", "10", "1", ""), jeLine("Credit", "9.99", "9", ""),
	}}), http.StatusBadRequest, "6000")
	if e["Message"] != "A business validation error has occurred while processing your request" {
		t.Errorf("Message = %v", e["Message"])
	}
	wantFault(t, s.api(http.MethodPost, "journalentry", map[string]any{"Line": []any{
		jeLine("Debit", "10", "2", ""), jeLine("Credit", "10", "9", ""),
	}}), http.StatusBadRequest, "6000")
	wantFault(t, s.api(http.MethodPost, "journalentry", map[string]any{"Line": []any{
		jeLine("Debit", "10", "2", "9999"), jeLine("Credit", "10", "9", ""),
	}}), http.StatusBadRequest, "2500")
	je := s.ok("JournalEntry", "", map[string]any{"Line": []any{jeLine("Debit", "10", "2", cust), jeLine("Credit", "10", "9", "")}})
	wantAmounts(t, je, map[string]string{"TotalAmt": "10.00"})
	if ar := s.ledger().openAR(cust); ar != "10.00" {
		t.Errorf("open A/R after A/R debit journal = %s", ar)
	}
}

// A/R journal lines are documents payments link: a debit (e.g. a reopened
// receivable) is paid like an invoice, a credit (e.g. a write-back) is used
// like a credit memo.
func TestPaymentsLinkJournalEntries(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	cust := s.customer("JE Link Co")
	charge := s.ok("JournalEntry", "", map[string]any{"Line": []any{jeLine("Debit", "25", "2", cust), jeLine("Credit", "25", "1", "")}})
	credit := s.ok("JournalEntry", "", map[string]any{"Line": []any{jeLine("Credit", "15", "2", cust), jeLine("Debit", "15", "13", "")}})
	inv := str(s.invoice(cust, "15", nil), "Id")
	s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("25"), "Line": []any{payLine("25", "JournalEntry", str(charge, "Id"))}})
	s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("0"),
		"Line": []any{payLine("15", "Invoice", inv), payLine("15", "JournalEntry", str(credit, "Id"))}})
	l := s.ledger()
	if l.openAR(cust) != "0.00" || l.account("Accounts Receivable (A/R)") != "0.00" {
		t.Errorf("open A/R %s, A/R account %s", l.openAR(cust), l.account("Accounts Receivable (A/R)"))
	}
	if got := list(s.read("JournalEntry", str(charge, "Id")), "LinkedTxn"); len(got) != 1 {
		t.Errorf("journal LinkedTxn = %v", got)
	}
	wantFault(t, s.api(http.MethodPost, "payment", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("1"),
		"Line": []any{payLine("1", "JournalEntry", str(charge, "Id"))}}), http.StatusBadRequest, "6000")
}

// Sales receipts are paid at once (no A/R); refund receipts pay money back
// from a real account, never Undeposited Funds.
func TestReceipts(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Receipt Co")
	sr := s.ok("SalesReceipt", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("20")}})
	wantAmounts(t, sr, map[string]string{"TotalAmt": "20.00", "Balance": "0.00"})
	wantFault(t, s.api(http.MethodPost, "refundreceipt", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}}), http.StatusBadRequest, "2020")
	wantFault(t, s.api(http.MethodPost, "refundreceipt", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}, "DepositToAccountRef": refTo("3")}),
		http.StatusBadRequest, "6000")
	wantFault(t, s.api(http.MethodPost, "salesreceipt", map[string]any{"Line": []any{itemLine("5")}, "DepositToAccountRef": refTo("9")}),
		http.StatusBadRequest, "6000")
	s.ok("RefundReceipt", "", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}, "DepositToAccountRef": refTo("1")})
	l := s.ledger()
	for name, want := range map[string]string{"Undeposited Funds": "20.00", "Checking": "-5.00", "Services": "15.00", "Accounts Receivable (A/R)": "0.00"} {
		if got := l.account(name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if ar := l.openAR(cust); ar != "0.00" {
		t.Errorf("receipts moved open A/R: %s", ar)
	}
}
