package qbo

import "encoding/json"

// The engine reads and sets what it tracks of an object through these
// methods, never through its JSON: Identity is part of Entity; the
// pointer of every entity type implements Identifiable, and of every
// transaction Dated and Totaled.

// Identifiable is an entity whose identity can be set: Id, SyncToken and
// whether an update is sparse (leaves fields it omits alone).
type Identifiable interface {
	SetIdentity(id, syncToken string, sparse bool)
}

// Dated is a transaction with an accounting date (TxnDate).
type Dated interface {
	Date() string
	SetDate(date string)
}

// Totaled is a transaction whose total QBO computes (TotalAmt).
type Totaled interface {
	Total() json.Number
}

// Identity returns the Customer's Id and SyncToken.
func (v Customer) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *Customer) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Identity returns the Item's Id and SyncToken.
func (v Item) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *Item) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Identity returns the Account's Id and SyncToken.
func (v Account) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *Account) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Identity returns the PaymentMethod's Id and SyncToken.
func (v PaymentMethod) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *PaymentMethod) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Identity returns the TaxCode's Id and SyncToken.
func (v TaxCode) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// Identity returns the Invoice's Id and SyncToken.
func (v Invoice) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *Invoice) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Date returns the TxnDate.
func (v Invoice) Date() string { return v.TxnDate }

// SetDate sets the TxnDate.
func (v *Invoice) SetDate(date string) { v.TxnDate = date }

// Total returns the TotalAmt.
func (v Invoice) Total() json.Number { return v.TotalAmt }

// Identity returns the CreditMemo's Id and SyncToken.
func (v CreditMemo) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *CreditMemo) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Date returns the TxnDate.
func (v CreditMemo) Date() string { return v.TxnDate }

// SetDate sets the TxnDate.
func (v *CreditMemo) SetDate(date string) { v.TxnDate = date }

// Total returns the TotalAmt.
func (v CreditMemo) Total() json.Number { return v.TotalAmt }

// Identity returns the RefundReceipt's Id and SyncToken.
func (v RefundReceipt) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *RefundReceipt) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Date returns the TxnDate.
func (v RefundReceipt) Date() string { return v.TxnDate }

// SetDate sets the TxnDate.
func (v *RefundReceipt) SetDate(date string) { v.TxnDate = date }

// Total returns the TotalAmt.
func (v RefundReceipt) Total() json.Number { return v.TotalAmt }

// Identity returns the SalesReceipt's Id and SyncToken.
func (v SalesReceipt) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *SalesReceipt) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Date returns the TxnDate.
func (v SalesReceipt) Date() string { return v.TxnDate }

// SetDate sets the TxnDate.
func (v *SalesReceipt) SetDate(date string) { v.TxnDate = date }

// Total returns the TotalAmt.
func (v SalesReceipt) Total() json.Number { return v.TotalAmt }

// Identity returns the Payment's Id and SyncToken.
func (v Payment) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *Payment) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Date returns the TxnDate.
func (v Payment) Date() string { return v.TxnDate }

// SetDate sets the TxnDate.
func (v *Payment) SetDate(date string) { v.TxnDate = date }

// Total returns the TotalAmt.
func (v Payment) Total() json.Number { return v.TotalAmt }

// Identity returns the JournalEntry's Id and SyncToken.
func (v JournalEntry) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// SetIdentity names the object an update or void writes.
func (v *JournalEntry) SetIdentity(id, syncToken string, sparse bool) {
	v.ID, v.SyncToken, v.Sparse = id, syncToken, sparse
}

// Date returns the TxnDate.
func (v JournalEntry) Date() string { return v.TxnDate }

// SetDate sets the TxnDate.
func (v *JournalEntry) SetDate(date string) { v.TxnDate = date }

// Total returns the TotalAmt.
func (v JournalEntry) Total() json.Number { return v.TotalAmt }

// Identity returns the CompanyInfo's Id and SyncToken.
func (v CompanyInfo) Identity() (id, syncToken string) { return v.ID, v.SyncToken }

// Identity returns the Preferences's Id and SyncToken.
func (v Preferences) Identity() (id, syncToken string) { return v.ID, v.SyncToken }
