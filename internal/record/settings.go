package record

// Settings are a tenant's choices of how billing lands in QuickBooks.
// Account and item fields hold QBO ids; empty ones are resolved to the
// company's defaults on first sync and then kept.
type Settings struct {
	RevenueAccountID  string `json:"revenue_account_id,omitempty"`
	DepositAccountID  string `json:"deposit_account_id,omitempty"`
	RefundAccountID   string `json:"refund_account_id,omitempty"`
	DiscountAccountID string `json:"discount_account_id,omitempty"`
	BadDebtAccountID  string `json:"bad_debt_account_id,omitempty"`
	// ARAccountID is the Accounts Receivable account refunds post to.
	ARAccountID string `json:"ar_account_id,omitempty"`
	// DefaultItemID is the QBO item used for lines without a product.
	DefaultItemID string `json:"default_item_id,omitempty"`
	// BadDebtItemID is the QBO item of write-offs; its account is the
	// bad-debt ledger (Intuit's own bad-debt workflow).
	BadDebtItemID string `json:"bad_debt_item_id,omitempty"`
	// PaymentMethods maps billing payment methods to QBO PaymentMethod ids.
	PaymentMethods map[string]string `json:"payment_methods,omitempty"`
	// TaxMode is us_override, tax_codes or none.
	TaxMode string `json:"tax_mode,omitempty"`
	// TaxCodes maps billing tax codes to QBO TaxCode ids (tax_codes mode).
	TaxCodes map[string]string `json:"tax_codes,omitempty"`
	// CustomerMode is auto (create or latch on first sight) or manual.
	CustomerMode string `json:"customer_mode,omitempty"`
	// SyncFrom (YYYY-MM-DD): documents dated before it are skipped.
	SyncFrom string `json:"sync_from,omitempty"`
	// ClosedBooks says what happens to a new document dated inside
	// QuickBooks' closed period: post_open (default: posted on the first
	// open day and flagged) or hold (not posted; a warning explains).
	ClosedBooks string `json:"closed_books,omitempty"`
	// PaymentsDirection says which side records payments: to_quickbooks
	// (default: billing's payments are synced to QuickBooks) or
	// from_quickbooks (payments recorded in QuickBooks are sent to billing
	// and billing's are not synced). Never both: each payment would be
	// recorded twice.
	PaymentsDirection string `json:"payments_direction,omitempty"`
}

// Payments directions.
const (
	PaymentsToQuickBooks   = "to_quickbooks"
	PaymentsFromQuickBooks = "from_quickbooks"
)

// PaymentsFromQuickBooks reports whether payments are imported from
// QuickBooks rather than synced to it.
func (s Settings) PaymentsFromQuickBooks() bool { return s.PaymentsDirection == PaymentsFromQuickBooks }

// Closed-books choices.
const (
	ClosedPostOpen = "post_open"
	ClosedHold     = "hold"
)

// Tax modes.
const (
	TaxUSOverride = "us_override"
	TaxCodes      = "tax_codes"
	TaxNone       = "none"
)
