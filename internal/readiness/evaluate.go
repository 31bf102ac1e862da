package readiness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// Inputs are everything a readiness check looks at.
type Inputs struct {
	Prefs    qbo.Preferences
	Info     qbo.CompanyInfo
	Accounts []qbo.Account
	TaxCodes []qbo.TaxCode
	Settings store.Settings
	// CustomerCurrencies counts the tenant's billing customers per currency.
	CustomerCurrencies map[string]int
}

// Evaluate returns one finding per check, in a fixed order. It is pure.
func Evaluate(in Inputs) []store.ReadinessCheck {
	out := []store.ReadinessCheck{company(in)}
	out = append(out, numbering(in)...)
	out = append(out, autoApply(in)...)
	out = append(out, closedBooks(in), salesTax(in), currencies(in))
	return append(out, ledgers(in)...)
}

func check(code, level, format string, args ...any) store.ReadinessCheck {
	return store.ReadinessCheck{Code: code, Level: level, Message: fmt.Sprintf(format, args...)}
}

func company(in Inputs) store.ReadinessCheck {
	return check("company", store.LevelOK, "Connected to %q (%s).", in.Info.CompanyName, orDash(in.Info.Country))
}

func numbering(in Inputs) []store.ReadinessCheck {
	sf := in.Prefs.SalesFormsPrefs
	var out []store.ReadinessCheck
	if sf != nil && isTrue(sf.CustomTxnNumbers) {
		out = append(out, check("custom_txn_numbers", store.LevelOK,
			"Custom transaction numbers are on: invoices keep billing's numbers."))
	} else {
		out = append(out, check("custom_txn_numbers", store.LevelWarning,
			"Custom transaction numbers are off: QuickBooks numbers its own documents (1001, 1002, …), which can collide with billing's numbers "+
				"and hides the number field from its users. Turn them on in Account and settings → Sales → Sales form content."))
	}
	if nameValue(in.Prefs, "WarnDuplicateDocNum") == "false" {
		out = append(out, check("duplicate_doc_numbers", store.LevelWarning,
			"The duplicate-number warning is off: QuickBooks accepts two documents with the same number, so a document created by hand "+
				"with a billing number is not noticed."))
	} else {
		out = append(out, check("duplicate_doc_numbers", store.LevelOK,
			"The duplicate-number warning is on: a billing number already used by a document made in QuickBooks is refused (error 6140) "+
				"and shown on that entity; billing numbers must not be reused in QuickBooks by hand."))
	}
	return out
}

func autoApply(in Inputs) []store.ReadinessCheck {
	sf := in.Prefs.SalesFormsPrefs
	credit, payments := sf != nil && isTrue(sf.AutoApplyCredit), sf != nil && isTrue(sf.AutoApplyPayments)
	out := make([]store.ReadinessCheck, 0, 2)
	if credit {
		out = append(out, check("auto_apply_credit", store.LevelBlocking,
			"Automatically apply credits is on: QuickBooks applies every synced credit to the customer's oldest open invoice itself, "+
				"so billing's own application then fails or lands on the wrong invoice. Turn it off in Account and settings → Advanced → Automation."))
	} else {
		out = append(out, check("auto_apply_credit", store.LevelOK, "Automatically apply credits is off."))
	}
	if payments {
		out = append(out, check("auto_apply_payments", store.LevelWarning,
			"Automatically apply payments is on: payments entered in QuickBooks by hand are applied to the oldest invoices and can close "+
				"an invoice billing still shows open. Synced payments name their invoices and are not affected. Turn it off in Account and settings → Advanced → Automation."))
	} else {
		out = append(out, check("auto_apply_payments", store.LevelOK, "Automatically apply payments is off."))
	}
	return out
}

func closedBooks(in Inputs) store.ReadinessCheck {
	ai := in.Prefs.AccountingInfoPrefs
	if ai == nil || ai.BookCloseDate == "" {
		return check("closed_books", store.LevelOK, "The books are not closed.")
	}
	hold := in.Settings.ClosedBooks == store.ClosedHold
	what := "posted on the first open day and flagged"
	if hold {
		what = "held with a warning until the period is reopened"
	}
	level := store.LevelWarning
	if in.Settings.SyncFrom != "" && in.Settings.SyncFrom > ai.BookCloseDate {
		level = store.LevelOK
	}
	return check("closed_books", level, "The books are closed through %s: billing documents dated on or before it are %s (sync-from date: %s).",
		ai.BookCloseDate, what, orDash(in.Settings.SyncFrom))
}

func salesTax(in Inputs) store.ReadinessCheck {
	tp := in.Prefs.TaxPrefs
	ast := tp != nil && isTrue(tp.PartnerTaxEnabled)
	mode := in.Settings.TaxMode
	if mode == "" {
		mode = store.TaxUSOverride // what the sync chooses on first use
	}
	switch mode {
	case store.TaxUSOverride:
		if in.Info.Country != "US" || !ast {
			return check("sales_tax", store.LevelBlocking,
				"Tax mode us_override needs a US company with automated sales tax; this company (%s) has it %s. "+
					"Choose tax mode tax_codes and map billing's tax codes.", orDash(in.Info.Country), onOff(ast))
		}
		return check("sales_tax", store.LevelOK, "Billing's tax is sent as an override of QuickBooks' automated sales tax.")
	case store.TaxCodes:
		return taxCodes(in)
	case store.TaxNone:
		return check("sales_tax", store.LevelOK, "Tax mode none: no tax is sent; taxed billing lines are refused with a warning.")
	}
	return check("sales_tax", store.LevelBlocking, "Unknown tax mode %q.", mode)
}

func taxCodes(in Inputs) store.ReadinessCheck {
	if len(in.Settings.TaxCodes) == 0 {
		return check("sales_tax", store.LevelBlocking, "Tax mode tax_codes has no tax-code map: every taxed line will be refused. Map billing's tax codes in settings.")
	}
	known := map[string]bool{}
	for _, tc := range in.TaxCodes {
		if tc.Active == nil || *tc.Active {
			known[tc.ID] = true
		}
	}
	var missing []string
	for billingCode, id := range in.Settings.TaxCodes {
		if !known[id] {
			missing = append(missing, fmt.Sprintf("%s → %s", billingCode, id))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return check("sales_tax", store.LevelBlocking, "The tax-code map names QuickBooks tax codes that do not exist or are inactive: %s.", strings.Join(missing, ", "))
	}
	return check("sales_tax", store.LevelOK, "Every mapped tax code exists in QuickBooks.")
}

func currencies(in Inputs) store.ReadinessCheck {
	home := ""
	multi := false
	if cp := in.Prefs.CurrencyPrefs; cp != nil {
		multi = isTrue(cp.MultiCurrencyEnabled)
		if cp.HomeCurrency != nil {
			home = cp.HomeCurrency.Value
		}
	}
	var foreign []string
	n := 0
	for cur, count := range in.CustomerCurrencies {
		if cur != home {
			foreign = append(foreign, cur)
			n += count
		}
	}
	slices.Sort(foreign)
	switch {
	case len(foreign) == 0:
		return check("multicurrency", store.LevelOK, "Every billing customer is billed in the home currency %s.", orDash(home))
	case multi:
		return check("multicurrency", store.LevelOK, "Multicurrency is on; customers billed in %s sync with their own currency.", strings.Join(foreign, ", "))
	}
	return check("multicurrency", store.LevelBlocking,
		"%d billing customers are billed in %s but QuickBooks has one currency (%s) and multicurrency off: they cannot sync. "+
			"Turning multicurrency on cannot be undone in QuickBooks.", n, strings.Join(foreign, ", "), orDash(home))
}

func isTrue(b *bool) bool { return b != nil && *b }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orDash(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

func nameValue(p qbo.Preferences, name string) string {
	if p.OtherPrefs == nil {
		return ""
	}
	for _, nv := range p.OtherPrefs.NameValue {
		if nv.Name == name {
			return nv.Value
		}
	}
	return ""
}
