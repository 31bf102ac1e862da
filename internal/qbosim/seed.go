package qbosim

import (
	"strings"
	"time"
)

// Roles of the seeded records the bookkeeping falls back to.
const (
	roleAR          = "ar"
	roleUndeposited = "undeposited"
	roleBank        = "bank"
	roleDeferred    = "deferred"
	roleSales       = "sales"
	roleServices    = "services"
	roleDiscounts   = "discounts"
	roleBadDebts    = "baddebts"
	roleTax         = "tax"
	roleDefaultItem = "item"
)

type seedAccount struct {
	role, name, typ, subtype string
}

// chartOfAccounts is what a new company starts with: the accounts a billing
// sync posts to, named as QuickBooks names them.
func chartOfAccounts(taxModel string) []seedAccount {
	tax := seedAccount{roleTax, "Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"}
	if taxModel == taxVAT {
		tax = seedAccount{roleTax, "VAT Control", "Other Current Liability", "GlobalTaxPayable"}
	}
	return []seedAccount{
		{roleBank, "Checking", "Bank", "Checking"},
		{roleAR, "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"},
		{roleUndeposited, "Undeposited Funds", "Other Current Asset", "UndepositedFunds"},
		{"", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"},
		{roleDeferred, "Deferred Revenue", "Other Current Liability", "DeferredRevenue"},
		tax,
		{"", "Opening Balance Equity", "Equity", "OpeningBalanceEquity"},
		{"", "Retained Earnings", "Equity", "RetainedEarnings"},
		{roleSales, "Sales", "Income", "SalesOfProductIncome"},
		{roleServices, "Services", "Income", "ServiceFeeIncome"},
		{roleDiscounts, "Discounts given", "Income", "DiscountsRefundsGiven"},
		{roleBadDebts, "Bad debts", "Expense", "BadDebts"},
		{"", "Bank charges", "Expense", "BankCharges"},
		{"", "Exchange Gain or Loss", "Other Expense", "ExchangeGainOrLoss"},
	}
}

// newCompany builds a company with its seeded lists.
func newCompany(realmID, name, country, currency string, now time.Time) *company {
	c := &company{
		realmID:      realmID,
		name:         name,
		country:      country,
		created:      now,
		prefsUpdated: now,
		prefs:        defaultPrefs(country, currency),
		docSeq:       make(map[string]int),
		entities:     make(map[string]map[string]*entity),
		replays:      make(map[string]replay),
		roles:        make(map[string]string),
		gate:         newGate(),
	}
	for _, a := range chartOfAccounts(c.prefs.TaxModel) {
		e := c.seed("Account", map[string]any{
			"Name":               a.name,
			"FullyQualifiedName": a.name,
			"AccountType":        a.typ,
			"AccountSubType":     a.subtype,
			"Classification":     classification(a.typ),
			"SubAccount":         false,
			"Active":             true,
			"CurrencyRef":        ref(currency, currencyName(currency)),
		})
		if a.role != "" {
			c.roles[a.role] = e.id
		}
	}
	item := c.seed("Item", map[string]any{
		"Name":               "Services",
		"FullyQualifiedName": "Services",
		"Type":               "Service",
		"Active":             true,
		"Taxable":            false,
		"IncomeAccountRef":   ref(c.roles[roleServices], "Services"),
	})
	c.roles[roleDefaultItem] = item.id
	for _, pm := range []struct{ name, typ string }{
		{"Cash", "NON_CREDIT_CARD"}, {"Check", "NON_CREDIT_CARD"},
		{"Credit Card", "CREDIT_CARD"}, {"ACH", "NON_CREDIT_CARD"},
	} {
		c.seed("PaymentMethod", map[string]any{"Name": pm.name, "Type": pm.typ, "Active": true})
	}
	c.seedTaxCodes(c.prefs.TaxModel)
	c.bumped = make(map[*entity]bool)
	c.refresh(now)
	return c
}

func (c *company) seed(kindName string, data map[string]any) *entity {
	e := &entity{kind: kindByName(kindName), id: c.newID(), created: c.created, updated: c.created, data: data}
	c.put(e)
	return e
}

// seedTaxCodes adds the tax codes of a tax model unless they exist: TAX and
// NON for US automated sales tax, a UK-style VAT set otherwise.
func (c *company) seedTaxCodes(model string) {
	if model == taxUS {
		for _, code := range []struct {
			name    string
			taxable bool
		}{{"TAX", true}, {"NON", false}} {
			if c.get("TaxCode", code.name) == nil {
				e := &entity{kind: kindByName("TaxCode"), id: code.name, created: c.created, updated: c.created,
					data: map[string]any{"Name": code.name, "Description": code.name, "Active": true,
						"Taxable": code.taxable, "TaxGroup": false}}
				c.put(e)
			}
		}
		return
	}
	for _, code := range c.all("TaxCode") {
		if code.id != "TAX" && code.id != "NON" {
			return // VAT codes already present
		}
	}
	for _, r := range []struct{ name, rate string }{
		{"20.0% S", "20"}, {"5.0% R", "5"}, {"0.0% Z", "0"}, {"Exempt", "0"}, {"No VAT", "0"},
	} {
		rate := c.seed("TaxRate", map[string]any{
			"Name": r.name, "Description": r.name, "Active": true,
			"RateValue": jsonNumber(r.rate), "AgencyRef": ref("1", "HMRC"), "SpecialTaxType": "NONE",
			"DisplayType": "ReadOnly",
		})
		c.seed("TaxCode", map[string]any{
			"Name": r.name, "Description": r.name, "Active": true, "Taxable": r.name != "No VAT",
			"TaxGroup": false, "Hidden": false,
			"SalesTaxRateList": map[string]any{"TaxRateDetail": []any{map[string]any{
				"TaxRateRef": ref(rate.id, r.name), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": jsonNumber("0"),
			}}},
			"PurchaseTaxRateList": map[string]any{"TaxRateDetail": []any{}},
		})
	}
}

func classification(accountType string) string {
	switch accountType {
	case "Bank", "Accounts Receivable", "Other Current Asset", "Fixed Asset", "Other Asset":
		return "Asset"
	case "Accounts Payable", "Credit Card", "Other Current Liability", "Long Term Liability":
		return "Liability"
	case "Equity":
		return "Equity"
	case "Income", "Other Income":
		return "Revenue"
	case "Cost of Goods Sold", "Expense", "Other Expense":
		return "Expense"
	}
	return ""
}

// currencyName returns the name QuickBooks shows for an ISO 4217 code, or ""
// for a code the simulator does not know.
func currencyName(code string) string {
	switch strings.ToUpper(code) {
	case "USD":
		return "United States Dollar"
	case "GBP":
		return "British Pound Sterling"
	case "EUR":
		return "Euro"
	case "CAD":
		return "Canadian Dollar"
	case "AUD":
		return "Australian Dollar"
	case "NZD":
		return "New Zealand Dollar"
	case "INR":
		return "Indian Rupee"
	case "CHF":
		return "Swiss Franc"
	case "SEK":
		return "Swedish Krona"
	case "NOK":
		return "Norwegian Krone"
	case "DKK":
		return "Danish Krone"
	case "SGD":
		return "Singapore Dollar"
	case "HKD":
		return "Hong Kong Dollar"
	case "ZAR":
		return "South African Rand"
	case "MXN":
		return "Mexican Peso"
	}
	return ""
}

// countryCurrency is the home currency a company in country starts with.
func countryCurrency(country string) string {
	switch country {
	case "US":
		return "USD"
	case "GB", "UK":
		return "GBP"
	case "CA":
		return "CAD"
	case "AU":
		return "AUD"
	case "NZ":
		return "NZD"
	case "IN":
		return "INR"
	case "FR", "DE", "IE", "ES", "IT", "NL", "BE", "AT", "PT", "FI":
		return "EUR"
	}
	return ""
}
