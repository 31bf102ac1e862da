package admin

import (
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name      string
		w         store.Warning
		cause     string // a phrase the cause must contain; "" for none at all
		fixPhrase string
	}{
		{"duplicate name", store.Warning{Code: "6240", Message: "Duplicate Name Exists Error"}, "already uses this name", "Connect customer"},
		{"duplicate number", store.Warning{Code: "6140", Message: "Duplicate Document Number Error"}, "transaction with this number", "Warn if duplicate"},
		{"closed books 6210", store.Warning{Code: "6210", Message: "Account Period Closed, Cannot Update Through Services API"}, "closed books", "closing date"},
		{"closed books as 5010", store.Warning{Code: "5010", Message: "Account Period Closed", Detail: "The account period has closed. {1}"}, "closed books", "closing date"},
		{"stale object", store.Warning{Code: "5010", Message: "Stale Object Error"}, "changed this record", "Resend"},
		{"inactive reference", store.Warning{Code: "610", Message: "Object Not Found"}, "inactive or deleted", "active again"},
		{"invalid reference", store.Warning{Code: "2500", Message: "Invalid Reference Id"}, "does not exist", "ledgers"},
		{"invalid property", store.Warning{Code: "2010", Message: "Request has invalid or unsupported property", Detail: "TaxCodeRef"}, "does not accept", "intuit_tid"},
		{"business rule", store.Warning{Code: "6000", Message: "A business validation error has occurred", Detail: "Business Validation Error: QuickBooks encountered an error while calculating tax."}, "sales-tax", "tax-code map"},
		{"auth", store.Warning{Code: "003200", Message: "message=AuthenticationFailed; errorCode=003200"}, "authorization", "Reconnect"},
		{"currency", store.Warning{Code: "6000", Message: "A business validation error has occurred", Detail: "The currency of the transaction is invalid for customer / vendor / account."}, "currency", "multicurrency"},
		{"unknown code", store.Warning{Code: "9999", Message: "Something else"}, "its own reason", "intuit_tid"},
		{"the sync's own words", store.Warning{Message: "Draft invoices are not sent to QuickBooks; it syncs once posted."}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := Explain(tc.w)
			if tc.cause == "" {
				if ex != (Explanation{}) {
					t.Errorf("Explain = %+v, want nothing added", ex)
				}
				return
			}
			if !strings.Contains(ex.Cause, tc.cause) || !strings.Contains(ex.Fix, tc.fixPhrase) {
				t.Errorf("Explain = %+v, want a cause with %q and a fix with %q", ex, tc.cause, tc.fixPhrase)
			}
		})
	}
}

func TestValidateLedgers(t *testing.T) {
	active, inactive := qbo.Bool(true), qbo.Bool(false)
	accounts := []qbo.Account{
		{ID: "5", Name: "Checking", AccountType: "Bank", Active: active},
		{ID: "7", Name: "Deferred Revenue", AccountType: "Other Current Liability", AccountSubType: "DeferredRevenue", Active: active},
		{ID: "8", Name: "Old income", AccountType: "Income", Active: inactive},
		{ID: "9", Name: "Accounts Receivable (A/R)", AccountType: "Accounts Receivable", Active: active},
		{ID: "10", Name: "Services", AccountType: "Income", Active: active},
	}
	tests := []struct {
		name string
		s    store.Settings
		want []string
	}{
		{"valid", store.Settings{RevenueAccountID: "7", DepositAccountID: "5", ARAccountID: "9", DiscountAccountID: "10"}, nil},
		{"unset ledgers are not checked", store.Settings{}, nil},
		{"wrong type", store.Settings{RevenueAccountID: "5"},
			[]string{`revenue_account_id: account 5 "Checking" is a Bank account; the revenue ledger must be Other Current Liability (Deferred Revenue) or Income`}},
		{"an article before a vowel", store.Settings{BadDebtAccountID: "10"},
			[]string{`bad_debt_account_id: account 10 "Services" is an Income account; the bad-debt ledger must be Expense (Bad Debts) or Other Expense`}},
		{"inactive", store.Settings{RevenueAccountID: "8"}, []string{`revenue_account_id: account 8 "Old income" is inactive in QuickBooks`}},
		{"missing", store.Settings{ARAccountID: "404"}, []string{"ar_account_id: account 404 does not exist in QuickBooks"}},
		{"every problem at once", store.Settings{RevenueAccountID: "5", ARAccountID: "10"}, []string{
			`revenue_account_id: account 5 "Checking" is a Bank account; the revenue ledger must be Other Current Liability (Deferred Revenue) or Income`,
			`ar_account_id: account 10 "Services" is an Income account; the accounts receivable must be Accounts Receivable`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ValidateLedgers(tc.s, accounts)
			if len(got) != len(tc.want) {
				t.Fatalf("problems = %+v, want %q", got, tc.want)
			}
			for i, p := range got {
				if p.Message != tc.want[i] || !strings.HasPrefix(p.Message, p.Field+":") {
					t.Errorf("problem %d = %+v, want %q", i, p, tc.want[i])
				}
			}
		})
	}
}
