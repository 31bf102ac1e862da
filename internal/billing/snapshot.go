package billing

// Snapshot types, one per kind, with the contract's field names. Struct
// tags drive the strict decoder (strict.go): a field whose json tag has no
// omitempty is required; limit is the most characters (strings) or elements
// (lists); format, enum and amount name further checks. The JSON Schema in
// api/billing-webhook.v1.schema.json mirrors these tags, and a test keeps
// the two in step.

// Customer is a billing customer; it becomes a QuickBooks customer.
type Customer struct {
	ID             string   `json:"id" limit:"64" format:"id"`
	Version        int64    `json:"version"`
	DisplayName    string   `json:"display_name" limit:"100"`
	Email          string   `json:"email" limit:"100" format:"email"`
	CompanyName    string   `json:"company_name,omitempty" limit:"100"`
	Phone          string   `json:"phone,omitempty" limit:"30"`
	Currency       string   `json:"currency" limit:"3" format:"currency"`
	BillingAddress *Address `json:"billing_address,omitempty"`
	ParentID       string   `json:"parent_id,omitempty" limit:"64" format:"id"`
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	Line1      string `json:"line1" limit:"500"`
	Line2      string `json:"line2,omitempty" limit:"500"`
	City       string `json:"city" limit:"255"`
	Region     string `json:"region,omitempty" limit:"255"`
	PostalCode string `json:"postal_code,omitempty" limit:"30"`
	Country    string `json:"country" limit:"2" format:"country"`
}

// Product is something sold; it becomes a QuickBooks item.
type Product struct {
	ID          string `json:"id" limit:"64" format:"id"`
	Version     int64  `json:"version"`
	Name        string `json:"name" limit:"100"`
	SKU         string `json:"sku,omitempty" limit:"100"`
	Description string `json:"description,omitempty" limit:"4000"`
	Active      bool   `json:"active"`
}

// Invoice statuses.
const (
	InvoiceDraft  = "draft"
	InvoicePosted = "posted"
	InvoicePaid   = "paid"
	InvoiceVoided = "voided"
)

// Invoice is a bill to a customer. Amounts are minor units of Currency.
type Invoice struct {
	ID            string        `json:"id" limit:"64" format:"id"`
	Version       int64         `json:"version"`
	CustomerID    string        `json:"customer_id" limit:"64" format:"id"`
	Number        string        `json:"number" limit:"21"`
	Status        string        `json:"status" enum:"draft|posted|paid|voided"`
	IssuedOn      Date          `json:"issued_on"`
	DueOn         Date          `json:"due_on"`
	Currency      string        `json:"currency" limit:"3" format:"currency"`
	ExchangeRate  ExchangeRate  `json:"exchange_rate,omitempty" limit:"20"`
	Lines         []InvoiceLine `json:"lines" limit:"500"`
	Subtotal      int64         `json:"subtotal" amount:"any"`
	DiscountTotal int64         `json:"discount_total" amount:"nonnegative"`
	TaxTotal      int64         `json:"tax_total" amount:"nonnegative"`
	Total         int64         `json:"total" amount:"nonnegative"`
	AmountDue     int64         `json:"amount_due" amount:"nonnegative"`
	Notes         string        `json:"notes,omitempty" limit:"4000"`
}

// InvoiceLine is one line of an invoice. A negative UnitAmount expresses a
// credit on the invoice (a proration, for example).
type InvoiceLine struct {
	ID             string   `json:"id" limit:"64" format:"id"`
	ProductID      string   `json:"product_id,omitempty" limit:"64" format:"id"`
	Description    string   `json:"description" limit:"4000"`
	Quantity       Quantity `json:"quantity"`
	UnitAmount     int64    `json:"unit_amount" amount:"any"`
	Amount         int64    `json:"amount" amount:"any"`
	DiscountAmount int64    `json:"discount_amount" amount:"nonnegative"`
	TaxAmount      int64    `json:"tax_amount" amount:"nonnegative"`
	TaxCode        string   `json:"tax_code,omitempty" limit:"64"`
}

// Payment methods.
const (
	MethodCard  = "card"
	MethodACH   = "ach"
	MethodCheck = "check"
	MethodCash  = "cash"
	MethodOther = "other"
)

// Payment is money received from a customer, applied to invoices; what is
// not applied stays as credit on the customer's account.
type Payment struct {
	ID           string        `json:"id" limit:"64" format:"id"`
	Version      int64         `json:"version"`
	CustomerID   string        `json:"customer_id" limit:"64" format:"id"`
	ReceivedOn   Date          `json:"received_on"`
	Amount       int64         `json:"amount" amount:"positive"`
	Currency     string        `json:"currency" limit:"3" format:"currency"`
	ExchangeRate ExchangeRate  `json:"exchange_rate,omitempty" limit:"20"`
	Method       string        `json:"method" enum:"card|ach|check|cash|other"`
	Reference    string        `json:"reference,omitempty" limit:"100"`
	Applications []Application `json:"applications" limit:"500"`
}

// Application applies part of a payment or credit to one invoice.
type Application struct {
	InvoiceID string `json:"invoice_id" limit:"64" format:"id"`
	Amount    int64  `json:"amount" amount:"positive"`
}

// Refund is money returned to a customer from a payment or from a sale:
// exactly one of PaymentID and SaleID names it.
type Refund struct {
	ID           string       `json:"id" limit:"64" format:"id"`
	Version      int64        `json:"version"`
	CustomerID   string       `json:"customer_id" limit:"64" format:"id"`
	PaymentID    string       `json:"payment_id,omitempty" limit:"64" format:"id"`
	SaleID       string       `json:"sale_id,omitempty" limit:"64" format:"id"`
	RefundedOn   Date         `json:"refunded_on"`
	Amount       int64        `json:"amount" amount:"positive"`
	Currency     string       `json:"currency" limit:"3" format:"currency"`
	ExchangeRate ExchangeRate `json:"exchange_rate,omitempty" limit:"20"`
	Reason       string       `json:"reason,omitempty" limit:"4000"`
}

// Credit is a credit note; what is not applied stays as store credit.
type Credit struct {
	ID           string        `json:"id" limit:"64" format:"id"`
	Version      int64         `json:"version"`
	CustomerID   string        `json:"customer_id" limit:"64" format:"id"`
	IssuedOn     Date          `json:"issued_on"`
	Amount       int64         `json:"amount" amount:"positive"`
	Currency     string        `json:"currency" limit:"3" format:"currency"`
	ExchangeRate ExchangeRate  `json:"exchange_rate,omitempty" limit:"20"`
	Reason       string        `json:"reason,omitempty" limit:"4000"`
	Lines        []CreditLine  `json:"lines,omitempty" limit:"500"`
	Applications []Application `json:"applications" limit:"500"`
}

// CreditLine is one line of a credit note.
type CreditLine struct {
	Description string `json:"description" limit:"4000"`
	Amount      int64  `json:"amount" amount:"positive"`
	ProductID   string `json:"product_id,omitempty" limit:"64" format:"id"`
}

// ChargeReversal reverses part or all of an invoice's charge (or of one
// of its lines).
type ChargeReversal struct {
	ID           string       `json:"id" limit:"64" format:"id"`
	Version      int64        `json:"version"`
	CustomerID   string       `json:"customer_id" limit:"64" format:"id"`
	InvoiceID    string       `json:"invoice_id" limit:"64" format:"id"`
	LineID       string       `json:"line_id,omitempty" limit:"64" format:"id"`
	ReversedOn   Date         `json:"reversed_on"`
	Amount       int64        `json:"amount" amount:"positive"`
	Currency     string       `json:"currency" limit:"3" format:"currency"`
	ExchangeRate ExchangeRate `json:"exchange_rate,omitempty" limit:"20"`
	Reason       string       `json:"reason,omitempty" limit:"4000"`
}

// WriteOff writes an unpaid invoice balance off as bad debt.
type WriteOff struct {
	ID           string       `json:"id" limit:"64" format:"id"`
	Version      int64        `json:"version"`
	CustomerID   string       `json:"customer_id" limit:"64" format:"id"`
	InvoiceID    string       `json:"invoice_id" limit:"64" format:"id"`
	WrittenOffOn Date         `json:"written_off_on"`
	Amount       int64        `json:"amount" amount:"positive"`
	Currency     string       `json:"currency" limit:"3" format:"currency"`
	ExchangeRate ExchangeRate `json:"exchange_rate,omitempty" limit:"20"`
	Reason       string       `json:"reason,omitempty" limit:"4000"`
}

// Sale is money received without an invoice (an order form, a checkout, a
// subscription charge): it becomes a QuickBooks sales receipt paid into the
// deposit ledger. Its lines and totals follow an invoice's rules.
type Sale struct {
	ID            string        `json:"id" limit:"64" format:"id"`
	Version       int64         `json:"version"`
	CustomerID    string        `json:"customer_id" limit:"64" format:"id"`
	Customer      *SaleCustomer `json:"customer,omitempty"`
	PaidOn        Date          `json:"paid_on"`
	Currency      string        `json:"currency" limit:"3" format:"currency"`
	ExchangeRate  Quantity      `json:"exchange_rate,omitempty"`
	PaymentMethod string        `json:"payment_method,omitempty" enum:"card|ach|check|cash|other"`
	Reference     string        `json:"reference,omitempty" limit:"100"`
	Lines         []InvoiceLine `json:"lines" limit:"500"`
	Subtotal      int64         `json:"subtotal" amount:"any"`
	DiscountTotal int64         `json:"discount_total" amount:"nonnegative"`
	TaxTotal      int64         `json:"tax_total" amount:"nonnegative"`
	Total         int64         `json:"total" amount:"nonnegative"`
	Notes         string        `json:"notes,omitempty" limit:"4000"`
}

// SaleCustomer is who paid, for a sale whose billing customer is not sent
// as a customer event: QuickBooks' customer is found by the billing
// marker, then by this e-mail, else created with this name.
type SaleCustomer struct {
	DisplayName string `json:"display_name" limit:"100"`
	Email       string `json:"email" limit:"100" format:"email"`
}
