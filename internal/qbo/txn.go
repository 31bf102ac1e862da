package qbo

import "encoding/json"

// GlobalTaxCalculation values (non-US companies).
const (
	TaxExcluded   = "TaxExcluded"
	TaxInclusive  = "TaxInclusive"
	NotApplicable = "NotApplicable"
)

// Invoice bills a customer; TotalAmt and Balance are computed by QBO.
type Invoice struct {
	ID                    string        `json:"Id,omitempty"`
	SyncToken             string        `json:"SyncToken,omitempty"`
	MetaData              *MetaData     `json:"MetaData,omitempty"`
	Sparse                bool          `json:"sparse,omitempty"`
	DocNumber             string        `json:"DocNumber,omitempty"`
	TxnDate               string        `json:"TxnDate,omitempty"`
	DueDate               string        `json:"DueDate,omitempty"`
	CustomerRef           *Ref          `json:"CustomerRef,omitempty"`
	CurrencyRef           *Ref          `json:"CurrencyRef,omitempty"`
	ExchangeRate          json.Number   `json:"ExchangeRate,omitempty"`
	Line                  []Line        `json:"Line,omitempty"`
	TxnTaxDetail          *TxnTaxDetail `json:"TxnTaxDetail,omitempty"`
	PrivateNote           string        `json:"PrivateNote,omitempty"`
	CustomerMemo          *MemoRef      `json:"CustomerMemo,omitempty"`
	BillEmail             *EmailAddress `json:"BillEmail,omitempty"`
	EmailStatus           string        `json:"EmailStatus,omitempty"`
	GlobalTaxCalculation  string        `json:"GlobalTaxCalculation,omitempty"`
	ApplyTaxAfterDiscount *bool         `json:"ApplyTaxAfterDiscount,omitempty"`
	TotalAmt              json.Number   `json:"TotalAmt,omitempty"`     // read-only
	HomeTotalAmt          json.Number   `json:"HomeTotalAmt,omitempty"` // read-only
	Balance               json.Number   `json:"Balance,omitempty"`      // read-only: open amount
	HomeBalance           json.Number   `json:"HomeBalance,omitempty"`  // read-only
	LinkedTxn             []LinkedTxn   `json:"LinkedTxn,omitempty"`    // read-only: payments, credits
}

// EntityName returns "Invoice".
func (Invoice) EntityName() string { return "Invoice" }

// CreditMemo is a credit on the customer's account; RemainingCredit is
// what no payment has applied yet.
type CreditMemo struct {
	ID                    string        `json:"Id,omitempty"`
	SyncToken             string        `json:"SyncToken,omitempty"`
	MetaData              *MetaData     `json:"MetaData,omitempty"`
	Sparse                bool          `json:"sparse,omitempty"`
	DocNumber             string        `json:"DocNumber,omitempty"`
	TxnDate               string        `json:"TxnDate,omitempty"`
	CustomerRef           *Ref          `json:"CustomerRef,omitempty"`
	CurrencyRef           *Ref          `json:"CurrencyRef,omitempty"`
	ExchangeRate          json.Number   `json:"ExchangeRate,omitempty"`
	Line                  []Line        `json:"Line,omitempty"`
	TxnTaxDetail          *TxnTaxDetail `json:"TxnTaxDetail,omitempty"`
	PrivateNote           string        `json:"PrivateNote,omitempty"`
	CustomerMemo          *MemoRef      `json:"CustomerMemo,omitempty"`
	GlobalTaxCalculation  string        `json:"GlobalTaxCalculation,omitempty"`
	ApplyTaxAfterDiscount *bool         `json:"ApplyTaxAfterDiscount,omitempty"`
	TotalAmt              json.Number   `json:"TotalAmt,omitempty"`        // read-only
	Balance               json.Number   `json:"Balance,omitempty"`         // read-only
	RemainingCredit       json.Number   `json:"RemainingCredit,omitempty"` // read-only
	LinkedTxn             []LinkedTxn   `json:"LinkedTxn,omitempty"`       // read-only
}

// EntityName returns "CreditMemo".
func (CreditMemo) EntityName() string { return "CreditMemo" }

// RefundReceipt pays money back from DepositToAccountRef against the
// income of its lines' items.
type RefundReceipt struct {
	ID                   string        `json:"Id,omitempty"`
	SyncToken            string        `json:"SyncToken,omitempty"`
	MetaData             *MetaData     `json:"MetaData,omitempty"`
	Sparse               bool          `json:"sparse,omitempty"`
	DocNumber            string        `json:"DocNumber,omitempty"`
	TxnDate              string        `json:"TxnDate,omitempty"`
	CustomerRef          *Ref          `json:"CustomerRef,omitempty"`
	CurrencyRef          *Ref          `json:"CurrencyRef,omitempty"`
	ExchangeRate         json.Number   `json:"ExchangeRate,omitempty"`
	Line                 []Line        `json:"Line,omitempty"`
	TxnTaxDetail         *TxnTaxDetail `json:"TxnTaxDetail,omitempty"`
	PrivateNote          string        `json:"PrivateNote,omitempty"`
	CustomerMemo         *MemoRef      `json:"CustomerMemo,omitempty"`
	GlobalTaxCalculation string        `json:"GlobalTaxCalculation,omitempty"`
	DepositToAccountRef  *Ref          `json:"DepositToAccountRef,omitempty"`
	PaymentMethodRef     *Ref          `json:"PaymentMethodRef,omitempty"`
	PaymentRefNum        string        `json:"PaymentRefNum,omitempty"`
	TotalAmt             json.Number   `json:"TotalAmt,omitempty"` // read-only
	Balance              json.Number   `json:"Balance,omitempty"`  // read-only
}

// EntityName returns "RefundReceipt".
func (RefundReceipt) EntityName() string { return "RefundReceipt" }

// SalesReceipt is a sale paid at once, without accounts receivable. The
// fields the client sends are a RefundReceipt's.
type SalesReceipt RefundReceipt

// EntityName returns "SalesReceipt".
func (SalesReceipt) EntityName() string { return "SalesReceipt" }

// Payment receives money from a customer. Lines apply it to documents
// through LinkedTxn; what no line applies is UnappliedAmt (a credit). A
// Payment with TotalAmt 0 and an Invoice line plus a CreditMemo line
// applies the credit to the invoice.
type Payment struct {
	ID                  string      `json:"Id,omitempty"`
	SyncToken           string      `json:"SyncToken,omitempty"`
	MetaData            *MetaData   `json:"MetaData,omitempty"`
	Sparse              bool        `json:"sparse,omitempty"`
	TxnDate             string      `json:"TxnDate,omitempty"`
	CustomerRef         *Ref        `json:"CustomerRef,omitempty"`
	CurrencyRef         *Ref        `json:"CurrencyRef,omitempty"`
	ExchangeRate        json.Number `json:"ExchangeRate,omitempty"`
	TotalAmt            json.Number `json:"TotalAmt,omitempty"`
	PaymentRefNum       string      `json:"PaymentRefNum,omitempty"`
	PaymentMethodRef    *Ref        `json:"PaymentMethodRef,omitempty"`
	DepositToAccountRef *Ref        `json:"DepositToAccountRef,omitempty"` // default: Undeposited Funds
	ARAccountRef        *Ref        `json:"ARAccountRef,omitempty"`
	Line                []Line      `json:"Line,omitempty"`
	PrivateNote         string      `json:"PrivateNote,omitempty"`
	UnappliedAmt        json.Number `json:"UnappliedAmt,omitempty"` // read-only
}

// EntityName returns "Payment".
func (Payment) EntityName() string { return "Payment" }

// JournalEntry posts balanced debit and credit lines.
type JournalEntry struct {
	ID           string      `json:"Id,omitempty"`
	SyncToken    string      `json:"SyncToken,omitempty"`
	MetaData     *MetaData   `json:"MetaData,omitempty"`
	Sparse       bool        `json:"sparse,omitempty"`
	DocNumber    string      `json:"DocNumber,omitempty"`
	TxnDate      string      `json:"TxnDate,omitempty"`
	CurrencyRef  *Ref        `json:"CurrencyRef,omitempty"`
	ExchangeRate json.Number `json:"ExchangeRate,omitempty"`
	Line         []Line      `json:"Line,omitempty"`
	PrivateNote  string      `json:"PrivateNote,omitempty"`
	Adjustment   *bool       `json:"Adjustment,omitempty"`
	TotalAmt     json.Number `json:"TotalAmt,omitempty"` // read-only
}

// EntityName returns "JournalEntry".
func (JournalEntry) EntityName() string { return "JournalEntry" }
