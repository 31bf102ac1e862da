package qbosim_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
)

func qbosimtestCompany(t *testing.T, s *sim) qbosimtest.Company {
	return qbosimtest.NewCompany(t, s.url, "US", "")
}

// POST /_sim/companies answers 201 with a realm and a token pair.
func TestCreateCompanyControl(t *testing.T) {
	s := newSim(t, "")
	req, _ := http.NewRequest(http.MethodPost, s.url+"/_sim/companies", strings.NewReader(`{"name":"Acme","country":"GB"}`))
	r := s.send(req)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	for _, k := range []string{"realm_id", "access_token", "refresh_token"} {
		if str(r.body, k) == "" {
			t.Errorf("%s missing in %s", k, r.raw)
		}
	}
	if str(r.body, "expires_in") != "3600" {
		t.Errorf("expires_in = %s", str(r.body, "expires_in"))
	}
	for _, bad := range []string{`{"country":"ZZ"}`, `{"currency":"XYZ"}`, `{"nme":"typo"}`} {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/_sim/companies", strings.NewReader(bad))
		if r := s.send(req); r.status != http.StatusBadRequest {
			t.Errorf("create %s: status %d, want 400", bad, r.status)
		}
	}
	req, _ = http.NewRequest(http.MethodGet, s.url+"/_sim/companies/0000/ledger", nil)
	if r := s.send(req); r.status != http.StatusNotFound {
		t.Errorf("ledger of unknown realm: %d", r.status)
	}
}

// A new QBO company has the accounts a billing sync needs, payment methods
// and the US pseudo tax codes.
func TestNewCompanyIsSeeded(t *testing.T) {
	s := newSim(t, "US")
	accounts := list(s.query("select * from Account MAXRESULTS 1000"), "Account")
	want := map[string]string{
		"Accounts Receivable": "AccountsReceivable", "Other Current Asset": "UndepositedFunds", "Bank": "Checking",
		"Other Current Liability": "DeferredRevenue", "Income": "DiscountsRefundsGiven", "Expense": "BadDebts",
	}
	for typ, sub := range want {
		found := false
		for _, a := range accounts {
			a := a.(map[string]any)
			found = found || (str(a, "AccountType") == typ && str(a, "AccountSubType") == sub)
		}
		if !found {
			t.Errorf("no %s / %s account", typ, sub)
		}
	}
	if n := len(list(s.query("select * from Account where AccountType = 'Income' and Name = 'Sales'"), "Account")); n != 1 {
		t.Errorf("Sales income accounts = %d", n)
	}
	methods := list(s.query("select * from PaymentMethod"), "PaymentMethod")
	var names []string
	for _, m := range methods {
		names = append(names, str(m.(map[string]any), "Name"))
	}
	if strings.Join(names, ",") != "Cash,Check,Credit Card,ACH" {
		t.Errorf("payment methods = %v", names)
	}
	if tax := s.read("TaxCode", "TAX"); str(tax, "Taxable") != "true" {
		t.Errorf("TAX code = %v", tax)
	}
	if item := s.read("Item", "15"); str(item, "Name") != "Services" {
		t.Errorf("item 15 = %v, the tests assume the seeded Services item", item)
	}
}

// The stats endpoint counts requests by operation and entity.
func TestStatsCountRequests(t *testing.T) {
	s := newSim(t, "")
	id := s.customer("Stats Co")
	s.read("Customer", id)
	s.query("select * from Customer")
	r := s.control(http.MethodGet, "stats", nil)
	by := obj(r.body, "by_operation")
	for k, want := range map[string]string{"create Customer": "1", "read Customer": "1", "query Customer": "1"} {
		if got := str(by, k); got != want {
			t.Errorf("by_operation[%q] = %q, want %s", k, got, want)
		}
	}
	for k, want := range map[string]string{"requests": "3", "reads": "1", "writes": "1", "queries": "1"} {
		if got := str(r.body, k); got != want {
			t.Errorf("%s = %q, want %s", k, got, want)
		}
	}
}

// The ledger view's JSON shape is what docs/qbosim.md documents.
func TestLedgerViewShape(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Ledger Co")
	s.invoice(cust, "10.50", nil)
	r := s.control(http.MethodGet, "ledger", nil)
	for _, k := range []string{"realm_id", "home_currency", "customers", "accounts", "total_debits", "total_credits", "balanced"} {
		if _, ok := r.body[k]; !ok {
			t.Errorf("ledger lacks %q", k)
		}
	}
	c := list(r.body, "customers")[0].(map[string]any)
	inv := list(c, "invoices")[0].(map[string]any)
	if str(c, "open_ar") != "10.50" || str(inv, "total_amt") != "10.50" || str(inv, "doc_number") != "1001" {
		t.Errorf("customer = %v", c)
	}
	if !bytes.Contains([]byte(r.raw), []byte(`"balanced":true`)) {
		t.Errorf("ledger not balanced: %s", r.raw)
	}
}
