package qbo

import "encoding/json"

// Customer is a customer or, with Job set, a sub-customer.
type Customer struct {
	ID                 string           `json:"Id,omitempty"`
	SyncToken          string           `json:"SyncToken,omitempty"`
	MetaData           *MetaData        `json:"MetaData,omitempty"`
	Sparse             bool             `json:"sparse,omitempty"`
	DisplayName        string           `json:"DisplayName,omitempty"`
	CompanyName        string           `json:"CompanyName,omitempty"`
	GivenName          string           `json:"GivenName,omitempty"`
	FamilyName         string           `json:"FamilyName,omitempty"`
	FullyQualifiedName string           `json:"FullyQualifiedName,omitempty"` // read-only
	PrimaryEmailAddr   *EmailAddress    `json:"PrimaryEmailAddr,omitempty"`
	PrimaryPhone       *TelephoneNumber `json:"PrimaryPhone,omitempty"`
	BillAddr           *PhysicalAddress `json:"BillAddr,omitempty"`
	ShipAddr           *PhysicalAddress `json:"ShipAddr,omitempty"`
	Notes              string           `json:"Notes,omitempty"`
	CurrencyRef        *Ref             `json:"CurrencyRef,omitempty"`
	ParentRef          *Ref             `json:"ParentRef,omitempty"`
	Job                *bool            `json:"Job,omitempty"`
	BillWithParent     *bool            `json:"BillWithParent,omitempty"`
	Taxable            *bool            `json:"Taxable,omitempty"`
	Active             *bool            `json:"Active,omitempty"`
	Balance            json.Number      `json:"Balance,omitempty"` // read-only: open A/R
}

// EntityName returns "Customer".
func (Customer) EntityName() string { return "Customer" }

// Item is a product or service sold on sales lines.
type Item struct {
	ID                 string      `json:"Id,omitempty"`
	SyncToken          string      `json:"SyncToken,omitempty"`
	MetaData           *MetaData   `json:"MetaData,omitempty"`
	Sparse             bool        `json:"sparse,omitempty"`
	Name               string      `json:"Name,omitempty"`
	FullyQualifiedName string      `json:"FullyQualifiedName,omitempty"` // read-only
	Type               string      `json:"Type,omitempty"`               // Service, NonInventory, ...
	IncomeAccountRef   *Ref        `json:"IncomeAccountRef,omitempty"`
	Description        string      `json:"Description,omitempty"`
	Sku                string      `json:"Sku,omitempty"`
	Taxable            *bool       `json:"Taxable,omitempty"`
	Active             *bool       `json:"Active,omitempty"`
	UnitPrice          json.Number `json:"UnitPrice,omitempty"`
}

// EntityName returns "Item".
func (Item) EntityName() string { return "Item" }

// Account is a chart-of-accounts entry.
type Account struct {
	ID                 string      `json:"Id,omitempty"`
	SyncToken          string      `json:"SyncToken,omitempty"`
	MetaData           *MetaData   `json:"MetaData,omitempty"`
	Sparse             bool        `json:"sparse,omitempty"`
	Name               string      `json:"Name,omitempty"`
	FullyQualifiedName string      `json:"FullyQualifiedName,omitempty"` // read-only
	Description        string      `json:"Description,omitempty"`
	Active             *bool       `json:"Active,omitempty"`
	Classification     string      `json:"Classification,omitempty"` // read-only: Asset, Liability, ...
	AccountType        string      `json:"AccountType,omitempty"`    // "Other Current Liability", ...
	AccountSubType     string      `json:"AccountSubType,omitempty"` // "DeferredRevenue", ...
	CurrentBalance     json.Number `json:"CurrentBalance,omitempty"` // read-only
	CurrencyRef        *Ref        `json:"CurrencyRef,omitempty"`
}

// EntityName returns "Account".
func (Account) EntityName() string { return "Account" }

// PaymentMethod is how a customer paid (card, check, ...).
type PaymentMethod struct {
	ID        string    `json:"Id,omitempty"`
	SyncToken string    `json:"SyncToken,omitempty"`
	MetaData  *MetaData `json:"MetaData,omitempty"`
	Sparse    bool      `json:"sparse,omitempty"`
	Name      string    `json:"Name,omitempty"`
	Active    *bool     `json:"Active,omitempty"`
	Type      string    `json:"Type,omitempty"` // CREDIT_CARD or NON_CREDIT_CARD
}

// EntityName returns "PaymentMethod".
func (PaymentMethod) EntityName() string { return "PaymentMethod" }

// TaxCode is a sales tax code; US companies also have the pseudo codes
// TAX and NON, which are not TaxCode objects.
type TaxCode struct {
	ID               string       `json:"Id,omitempty"`
	SyncToken        string       `json:"SyncToken,omitempty"`
	MetaData         *MetaData    `json:"MetaData,omitempty"`
	Name             string       `json:"Name,omitempty"`
	Description      string       `json:"Description,omitempty"`
	Active           *bool        `json:"Active,omitempty"`
	Taxable          *bool        `json:"Taxable,omitempty"`
	TaxGroup         *bool        `json:"TaxGroup,omitempty"`
	SalesTaxRateList *TaxRateList `json:"SalesTaxRateList,omitempty"`
}

// EntityName returns "TaxCode".
func (TaxCode) EntityName() string { return "TaxCode" }

// TaxRateList lists the rates a tax code applies.
type TaxRateList struct {
	TaxRateDetail []TaxRateDetail `json:"TaxRateDetail,omitempty"`
}

// TaxRateDetail is one rate of a tax code.
type TaxRateDetail struct {
	TaxRateRef        *Ref   `json:"TaxRateRef,omitempty"`
	TaxTypeApplicable string `json:"TaxTypeApplicable,omitempty"`
	TaxOrder          int    `json:"TaxOrder,omitempty"`
}

// DeletedSuffix is what QuickBooks appends to the name of a customer, item
// or account made inactive, freeing the name for a new record.
const DeletedSuffix = " (deleted)"

// NameIn is a query condition matching a name-list record called name
// whether it is active or was made inactive and renamed:
// "<field> IN ('name', 'name (deleted)')". Add "Active IN (true, false)"
// to find inactive records at all.
func NameIn(field, name string) string {
	return field + " IN (" + Quote(name) + ", " + Quote(name+DeletedSuffix) + ")"
}
