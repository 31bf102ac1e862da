package qbosim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tax models a company can run.
const (
	taxUS  = "US"  // automated sales tax with TAX/NON pseudo codes
	taxVAT = "VAT" // global tax model: a real TaxCode on every sales line
)

// preferences are the company settings that change how the API behaves.
type preferences struct {
	BooksClosedDate      string `json:"books_closed_date"`
	CustomTxnNumbers     bool   `json:"custom_txn_numbers"`
	DuplicateDocNumCheck bool   `json:"duplicate_doc_number_check"`
	AutoApplyCredit      bool   `json:"auto_apply_credit"`
	AutoApplyPayments    bool   `json:"auto_apply_payments"`
	MultiCurrency        bool   `json:"multicurrency"`
	HomeCurrency         string `json:"home_currency"`
	TaxModel             string `json:"tax_model"`
}

// prefsPatch is the body of PATCH /_sim/companies/{realm}/preferences; absent
// members are left unchanged.
type prefsPatch struct {
	BooksClosedDate      *string `json:"books_closed_date"`
	CustomTxnNumbers     *bool   `json:"custom_txn_numbers"`
	DuplicateDocNumCheck *bool   `json:"duplicate_doc_number_check"`
	AutoApplyCredit      *bool   `json:"auto_apply_credit"`
	AutoApplyPayments    *bool   `json:"auto_apply_payments"`
	MultiCurrency        *bool   `json:"multicurrency"`
	HomeCurrency         *string `json:"home_currency"`
	TaxModel             *string `json:"tax_model"`
}

// defaultPrefs mirrors a new QuickBooks Online company: automatic numbering,
// the duplicate-number warning on, credits and payments applied
// automatically, one currency.
func defaultPrefs(country, currency string) preferences {
	model := taxVAT
	if country == "US" {
		model = taxUS
	}
	return preferences{
		DuplicateDocNumCheck: true,
		AutoApplyCredit:      true,
		AutoApplyPayments:    true,
		HomeCurrency:         currency,
		TaxModel:             model,
	}
}

// applyPatch changes the preferences, refusing what QuickBooks refuses:
// multicurrency cannot be turned off once on, and the home currency cannot
// change after transactions exist.
func (c *company) applyPatch(p prefsPatch, now time.Time) error {
	next := c.prefs
	if p.BooksClosedDate != nil {
		d := strings.TrimSpace(*p.BooksClosedDate)
		if d != "" {
			if _, err := time.Parse("2006-01-02", d); err != nil {
				return fmt.Errorf("books_closed_date %q is not a YYYY-MM-DD date", d)
			}
		}
		next.BooksClosedDate = d
	}
	setBool(&next.CustomTxnNumbers, p.CustomTxnNumbers)
	setBool(&next.DuplicateDocNumCheck, p.DuplicateDocNumCheck)
	setBool(&next.AutoApplyCredit, p.AutoApplyCredit)
	setBool(&next.AutoApplyPayments, p.AutoApplyPayments)
	if p.MultiCurrency != nil {
		if c.prefs.MultiCurrency && !*p.MultiCurrency {
			return fmt.Errorf("multicurrency cannot be turned off once it is on")
		}
		next.MultiCurrency = *p.MultiCurrency
	}
	if p.HomeCurrency != nil {
		cur := strings.ToUpper(strings.TrimSpace(*p.HomeCurrency))
		if currencyName(cur) == "" {
			return fmt.Errorf("home_currency %q is not a supported ISO 4217 code", cur)
		}
		if cur != c.prefs.HomeCurrency && c.hasTransactions() {
			return fmt.Errorf("home_currency cannot change once the company has transactions")
		}
		next.HomeCurrency = cur
	}
	if p.TaxModel != nil {
		m := strings.ToUpper(strings.TrimSpace(*p.TaxModel))
		if m != taxUS && m != taxVAT {
			return fmt.Errorf("tax_model must be %q or %q", taxUS, taxVAT)
		}
		next.TaxModel = m
	}
	if next.HomeCurrency != c.prefs.HomeCurrency {
		c.rehome(next.HomeCurrency)
	}
	if next.TaxModel != c.prefs.TaxModel {
		c.seedTaxCodes(next.TaxModel)
	}
	c.prefs = next
	c.prefsRev++
	c.prefsUpdated = now
	return nil
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func (c *company) hasTransactions() bool {
	for _, m := range c.entities {
		for _, e := range m {
			if e.txn != nil {
				return true
			}
		}
	}
	return false
}

// rehome moves the records in the old home currency to a new one before
// anything is booked.
func (c *company) rehome(cur string) {
	for _, kindName := range []string{"Customer", "Account"} {
		for _, e := range c.entities[kindName] {
			if refValue(e.data, "CurrencyRef") == c.prefs.HomeCurrency {
				e.data["CurrencyRef"] = ref(cur, currencyName(cur))
			}
		}
	}
}

// preferencesEntity renders the Preferences entity with the settings above
// in the places Intuit's schema keeps them.
func (c *company) preferencesEntity() map[string]any {
	p := c.prefs
	accounting := map[string]any{
		"TrackDepartments":        false,
		"DepartmentTerminology":   "Location",
		"ClassTrackingPerTxn":     false,
		"ClassTrackingPerTxnLine": false,
		"CustomerTerminology":     "Customers",
		"FirstMonthOfFiscalYear":  "January",
		"UseAccountNumbers":       false,
	}
	if p.BooksClosedDate != "" {
		accounting["BookCloseDate"] = p.BooksClosedDate
	}
	tax := map[string]any{"UsingSalesTax": true, "PartnerTaxEnabled": p.TaxModel == taxUS}
	return map[string]any{
		"AccountingInfoPrefs": accounting,
		"SalesFormsPrefs": map[string]any{
			"CustomTxnNumbers":  p.CustomTxnNumbers,
			"AutoApplyCredit":   p.AutoApplyCredit,
			"AutoApplyPayments": p.AutoApplyPayments,
			"AllowDiscount":     true,
			"AllowDeposit":      false,
			"AllowShipping":     false,
			"AllowServiceDate":  true,
			"AllowEstimates":    true,
		},
		"CurrencyPrefs": map[string]any{
			"MultiCurrencyEnabled": p.MultiCurrency,
			"HomeCurrency":         map[string]any{"value": p.HomeCurrency},
		},
		"TaxPrefs": tax,
		"OtherPrefs": map[string]any{"NameValue": []any{
			map[string]any{"Name": "WarnDuplicateDocNum", "Value": strconv.FormatBool(p.DuplicateDocNumCheck)},
			map[string]any{"Name": "TaxModel", "Value": p.TaxModel},
			map[string]any{"Name": "SalesFormsPrefs.DefaultItem", "Value": c.roles[roleDefaultItem]},
		}},
		"Id":        "1",
		"SyncToken": strconv.Itoa(c.prefsRev),
		"MetaData":  map[string]any{"CreateTime": qboTime(c.created), "LastUpdatedTime": qboTime(c.prefsUpdated)},
		"domain":    "QBO",
		"sparse":    false,
	}
}

// companyInfoEntity renders CompanyInfo, whose Id is the realm.
func (c *company) companyInfoEntity() map[string]any {
	addr := map[string]any{"Line1": "123 Main Street", "City": "Mountain View", "Country": c.country}
	return map[string]any{
		"CompanyName":          c.name,
		"LegalName":            c.name,
		"CompanyAddr":          addr,
		"LegalAddr":            addr,
		"Country":              c.country,
		"SupportedLanguages":   "en",
		"DefaultTimeZone":      "UTC",
		"FiscalYearStartMonth": "January",
		"CompanyStartDate":     today(c.created),
		"Email":                map[string]any{"Address": "noreply@example.com"},
		"NameValue": []any{
			map[string]any{"Name": "NeoEnabled", "Value": "true"},
			map[string]any{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
		},
		"Id":        c.realmID,
		"SyncToken": "0",
		"MetaData":  map[string]any{"CreateTime": qboTime(c.created), "LastUpdatedTime": qboTime(c.created)},
		"domain":    "QBO",
		"sparse":    false,
	}
}
