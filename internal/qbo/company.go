package qbo

// CompanyInfo describes the QBO company (the realm).
type CompanyInfo struct {
	ID                   string           `json:"Id,omitempty"`
	SyncToken            string           `json:"SyncToken,omitempty"`
	MetaData             *MetaData        `json:"MetaData,omitempty"`
	CompanyName          string           `json:"CompanyName,omitempty"`
	LegalName            string           `json:"LegalName,omitempty"`
	CompanyAddr          *PhysicalAddress `json:"CompanyAddr,omitempty"`
	Country              string           `json:"Country,omitempty"` // "US", "GB", "CA", ...
	CompanyStartDate     string           `json:"CompanyStartDate,omitempty"`
	FiscalYearStartMonth string           `json:"FiscalYearStartMonth,omitempty"`
	SupportedLanguages   string           `json:"SupportedLanguages,omitempty"`
	DefaultTimeZone      string           `json:"DefaultTimeZone,omitempty"`
	NameValue            []NameValue      `json:"NameValue,omitempty"`
}

// EntityName returns "CompanyInfo".
func (CompanyInfo) EntityName() string { return "CompanyInfo" }

// Preferences are the company settings a sync must respect.
type Preferences struct {
	ID                  string               `json:"Id,omitempty"`
	SyncToken           string               `json:"SyncToken,omitempty"`
	MetaData            *MetaData            `json:"MetaData,omitempty"`
	AccountingInfoPrefs *AccountingInfoPrefs `json:"AccountingInfoPrefs,omitempty"`
	SalesFormsPrefs     *SalesFormsPrefs     `json:"SalesFormsPrefs,omitempty"`
	TaxPrefs            *TaxPrefs            `json:"TaxPrefs,omitempty"`
	CurrencyPrefs       *CurrencyPrefs       `json:"CurrencyPrefs,omitempty"`
	OtherPrefs          *OtherPrefs          `json:"OtherPrefs,omitempty"`
}

// EntityName returns "Preferences".
func (Preferences) EntityName() string { return "Preferences" }

// AccountingInfoPrefs (CompanyAccountingPrefs in Intuit's schema).
// BookCloseDate is the last day of the closed period, YYYY-MM-DD.
type AccountingInfoPrefs struct {
	BookCloseDate          string `json:"BookCloseDate,omitempty"`
	FirstMonthOfFiscalYear string `json:"FirstMonthOfFiscalYear,omitempty"`
	UseAccountNumbers      *bool  `json:"UseAccountNumbers,omitempty"`
	ClassTrackingPerTxn    *bool  `json:"ClassTrackingPerTxn,omitempty"`
	TrackDepartments       *bool  `json:"TrackDepartments,omitempty"`
}

// SalesFormsPrefs govern invoices and payments. With CustomTxnNumbers QBO
// does not number documents itself; AutoApplyCredit and AutoApplyPayments
// make QBO apply credits and payments on its own.
type SalesFormsPrefs struct {
	CustomTxnNumbers  *bool `json:"CustomTxnNumbers,omitempty"`
	AutoApplyCredit   *bool `json:"AutoApplyCredit,omitempty"`
	AutoApplyPayments *bool `json:"AutoApplyPayments,omitempty"`
	AllowDiscount     *bool `json:"AllowDiscount,omitempty"`
	AllowDeposit      *bool `json:"AllowDeposit,omitempty"`
	AllowServiceDate  *bool `json:"AllowServiceDate,omitempty"`
	AllowShipping     *bool `json:"AllowShipping,omitempty"`
	DefaultTerms      *Ref  `json:"DefaultTerms,omitempty"`
}

// TaxPrefs: PartnerTaxEnabled is set for US automated sales tax.
type TaxPrefs struct {
	UsingSalesTax     *bool `json:"UsingSalesTax,omitempty"`
	PartnerTaxEnabled *bool `json:"PartnerTaxEnabled,omitempty"`
	TaxGroupCodeRef   *Ref  `json:"TaxGroupCodeRef,omitempty"`
}

// CurrencyPrefs: once MultiCurrencyEnabled is on it stays on.
type CurrencyPrefs struct {
	MultiCurrencyEnabled *bool `json:"MultiCurrencyEnabled,omitempty"`
	HomeCurrency         *Ref  `json:"HomeCurrency,omitempty"`
}

// OtherPrefs holds settings Intuit publishes only as name/value pairs.
type OtherPrefs struct {
	NameValue []NameValue `json:"NameValue,omitempty"`
}
