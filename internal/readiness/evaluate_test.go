package readiness

import (
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// newCompany is a US company as Intuit creates it: automatic numbering,
// the duplicate-number warning on, credits and payments applied
// automatically, automated sales tax, one currency.
func newCompany() Inputs {
	return Inputs{
		Prefs: qbo.Preferences{
			SalesFormsPrefs: &qbo.SalesFormsPrefs{CustomTxnNumbers: no(), AutoApplyCredit: yes(), AutoApplyPayments: yes()},
			TaxPrefs:        &qbo.TaxPrefs{UsingSalesTax: yes(), PartnerTaxEnabled: yes()},
			CurrencyPrefs:   &qbo.CurrencyPrefs{MultiCurrencyEnabled: no(), HomeCurrency: &qbo.Ref{Value: "USD"}},
			OtherPrefs:      &qbo.OtherPrefs{NameValue: []qbo.NameValue{{Name: "WarnDuplicateDocNum", Value: "true"}}},
		},
		Info: qbo.CompanyInfo{CompanyName: "Sandbox Company", Country: "US"},
		Accounts: []qbo.Account{
			{ID: "1", Name: "Sales", AccountType: "Income", Active: yes()},
			{ID: "2", Name: "Checking", AccountType: "Bank", Active: yes()},
			{ID: "3", Name: "Old income", AccountType: "Income", Active: no()},
			{ID: "4", Name: "Bad debts", AccountType: "Expense", Active: yes()},
		},
		TaxCodes:           []qbo.TaxCode{{ID: "7", Name: "VAT 20", Active: yes()}},
		CustomerCurrencies: map[string]int{"USD": 3},
	}
}

func levels(checks []store.ReadinessCheck) map[string]string {
	out := map[string]string{}
	for _, c := range checks {
		out[c.Code] = c.Level
	}
	return out
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Inputs)
		code    string
		level   string
		mention string // a word the message must contain
	}{
		{"new company numbers documents itself", func(*Inputs) {}, "custom_txn_numbers", store.LevelWarning, "collide"},
		{"custom numbers on", func(in *Inputs) { in.Prefs.SalesFormsPrefs.CustomTxnNumbers = yes() }, "custom_txn_numbers", store.LevelOK, "billing's numbers"},
		{"duplicate warning on", func(*Inputs) {}, "duplicate_doc_numbers", store.LevelOK, "6140"},
		{"duplicate warning off", func(in *Inputs) { in.Prefs.OtherPrefs.NameValue[0].Value = "false" }, "duplicate_doc_numbers", store.LevelWarning, "same number"},
		{"auto-apply credits on", func(*Inputs) {}, "auto_apply_credit", store.LevelBlocking, "Automation"},
		{"auto-apply credits off", func(in *Inputs) { in.Prefs.SalesFormsPrefs.AutoApplyCredit = no() }, "auto_apply_credit", store.LevelOK, "off"},
		{"auto-apply payments on", func(*Inputs) {}, "auto_apply_payments", store.LevelWarning, "oldest"},
		{"books open", func(*Inputs) {}, "closed_books", store.LevelOK, "not closed"},
		{"books closed, no sync-from", func(in *Inputs) {
			in.Prefs.AccountingInfoPrefs = &qbo.AccountingInfoPrefs{BookCloseDate: "2026-06-30"}
		}, "closed_books", store.LevelWarning, "2026-06-30"},
		{"books closed before sync-from", func(in *Inputs) {
			in.Prefs.AccountingInfoPrefs = &qbo.AccountingInfoPrefs{BookCloseDate: "2026-06-30"}
			in.Settings.SyncFrom = "2026-07-01"
		}, "closed_books", store.LevelOK, "2026-07-01"},
		{"us_override on a US AST company", func(*Inputs) {}, "sales_tax", store.LevelOK, "override"},
		{"us_override on a UK company", func(in *Inputs) {
			in.Info.Country = "GB"
			in.Prefs.TaxPrefs.PartnerTaxEnabled = no()
		}, "sales_tax", store.LevelBlocking, "tax_codes"},
		{"tax_codes without a map", func(in *Inputs) { in.Settings.TaxMode = store.TaxCodes }, "sales_tax", store.LevelBlocking, "no tax-code map"},
		{"tax_codes naming a missing code", func(in *Inputs) {
			in.Settings.TaxMode, in.Settings.TaxCodes = store.TaxCodes, map[string]string{"std": "7", "zero": "99"}
		}, "sales_tax", store.LevelBlocking, "zero → 99"},
		{"tax_codes all present", func(in *Inputs) {
			in.Settings.TaxMode, in.Settings.TaxCodes = store.TaxCodes, map[string]string{"std": "7"}
		}, "sales_tax", store.LevelOK, "exists"},
		{"foreign customers, multicurrency off", func(in *Inputs) { in.CustomerCurrencies["EUR"] = 2 }, "multicurrency", store.LevelBlocking, "2 billing customers are billed in EUR"},
		{"foreign customers, multicurrency on", func(in *Inputs) {
			in.CustomerCurrencies["EUR"] = 2
			in.Prefs.CurrencyPrefs.MultiCurrencyEnabled = yes()
		}, "multicurrency", store.LevelOK, "EUR"},
		{"ledgers unset", func(*Inputs) {}, "ledger_accounts", store.LevelOK, "default accounts"},
		{"revenue ledger is a bank account", func(in *Inputs) { in.Settings.RevenueAccountID = "2" }, "ledger_accounts", store.LevelBlocking, `"Checking" (2) of type Bank`},
		{"revenue ledger inactive", func(in *Inputs) { in.Settings.RevenueAccountID = "3" }, "ledger_accounts", store.LevelBlocking, "inactive"},
		{"deposit ledger missing", func(in *Inputs) { in.Settings.DepositAccountID = "42" }, "ledger_accounts", store.LevelBlocking, "42, which does not exist"},
		{"fitting ledgers", func(in *Inputs) {
			in.Settings.RevenueAccountID, in.Settings.DepositAccountID, in.Settings.BadDebtAccountID = "1", "2", "4"
		}, "ledger_accounts", store.LevelOK, "fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newCompany()
			tt.change(&in)
			checks := Evaluate(in)
			var got *store.ReadinessCheck
			for i := range checks {
				if checks[i].Code == tt.code {
					got = &checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s check in %v", tt.code, levels(checks))
			}
			if got.Level != tt.level || !strings.Contains(got.Message, tt.mention) {
				t.Errorf("%s = %s %q, want %s mentioning %q", tt.code, got.Level, got.Message, tt.level, tt.mention)
			}
		})
	}
}

func TestEvaluateCoversEveryCheck(t *testing.T) {
	got := levels(Evaluate(newCompany()))
	for _, code := range []string{"company", "custom_txn_numbers", "duplicate_doc_numbers", "auto_apply_credit",
		"auto_apply_payments", "closed_books", "sales_tax", "multicurrency", "ledger_accounts"} {
		if got[code] == "" {
			t.Errorf("no %s check", code)
		}
	}
}
