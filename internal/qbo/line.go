package qbo

import "encoding/json"

// Line detail types (LineDetailTypeEnum) used by sales documents and
// journal entries. Payment lines carry only Amount and LinkedTxn.
const (
	SalesItemLine    = "SalesItemLineDetail"
	DiscountLine     = "DiscountLineDetail"
	SubTotalLine     = "SubTotalLineDetail"
	DescriptionOnly  = "DescriptionOnly"
	JournalEntryLine = "JournalEntryLineDetail"
	TaxLine          = "TaxLineDetail"
)

// Line is a transaction line; DetailType names which detail is set.
type Line struct {
	ID                     string                  `json:"Id,omitempty"`
	LineNum                int                     `json:"LineNum,omitempty"`
	Description            string                  `json:"Description,omitempty"`
	Amount                 json.Number             `json:"Amount,omitempty"`
	DetailType             string                  `json:"DetailType,omitempty"`
	LinkedTxn              []LinkedTxn             `json:"LinkedTxn,omitempty"`
	SalesItemLineDetail    *SalesItemLineDetail    `json:"SalesItemLineDetail,omitempty"`
	DiscountLineDetail     *DiscountLineDetail     `json:"DiscountLineDetail,omitempty"`
	SubTotalLineDetail     *SubTotalLineDetail     `json:"SubTotalLineDetail,omitempty"`
	JournalEntryLineDetail *JournalEntryLineDetail `json:"JournalEntryLineDetail,omitempty"`
	TaxLineDetail          *TaxLineDetail          `json:"TaxLineDetail,omitempty"`
}

// SalesItemLineDetail sells an item: Amount must equal Qty × UnitPrice.
type SalesItemLineDetail struct {
	ItemRef     *Ref        `json:"ItemRef,omitempty"`
	Qty         json.Number `json:"Qty,omitempty"`
	UnitPrice   json.Number `json:"UnitPrice,omitempty"`
	TaxCodeRef  *Ref        `json:"TaxCodeRef,omitempty"` // US: TAX or NON; elsewhere a TaxCode Id
	ServiceDate string      `json:"ServiceDate,omitempty"`
}

// DiscountLineDetail discounts the lines above it, by amount or percent.
type DiscountLineDetail struct {
	PercentBased       *bool       `json:"PercentBased,omitempty"`
	DiscountPercent    json.Number `json:"DiscountPercent,omitempty"`
	DiscountAccountRef *Ref        `json:"DiscountAccountRef,omitempty"`
}

// SubTotalLineDetail marks the subtotal line QBO adds to sales documents.
type SubTotalLineDetail struct {
	ItemRef     *Ref   `json:"ItemRef,omitempty"`
	ServiceDate string `json:"ServiceDate,omitempty"`
}

// Posting types of journal entry lines.
const (
	Debit  = "Debit"
	Credit = "Credit"
)

// JournalEntryLineDetail posts Amount to AccountRef. Lines on Accounts
// Receivable need Entity (a Customer).
type JournalEntryLineDetail struct {
	PostingType string         `json:"PostingType,omitempty"`
	AccountRef  *Ref           `json:"AccountRef,omitempty"`
	Entity      *EntityTypeRef `json:"Entity,omitempty"`
}

// EntityTypeRef names a customer, vendor or employee with its type.
type EntityTypeRef struct {
	Type      string `json:"Type,omitempty"` // Customer, Vendor, Employee
	EntityRef *Ref   `json:"EntityRef,omitempty"`
}

// TaxLineDetail is one computed tax of TxnTaxDetail.TaxLine.
type TaxLineDetail struct {
	TaxRateRef       *Ref        `json:"TaxRateRef,omitempty"`
	PercentBased     *bool       `json:"PercentBased,omitempty"`
	TaxPercent       json.Number `json:"TaxPercent,omitempty"`
	NetAmountTaxable json.Number `json:"NetAmountTaxable,omitempty"`
}

// LinkedTxn links a line or document to another transaction, e.g. a
// payment line to the invoice it pays.
type LinkedTxn struct {
	TxnID     string `json:"TxnId,omitempty"`
	TxnType   string `json:"TxnType,omitempty"` // Invoice, CreditMemo, JournalEntry, Payment, ...
	TxnLineID string `json:"TxnLineId,omitempty"`
}

// TxnTaxDetail is a document's tax. US companies on automated sales tax
// ignore what is sent unless TotalTax overrides it.
type TxnTaxDetail struct {
	TxnTaxCodeRef *Ref        `json:"TxnTaxCodeRef,omitempty"`
	TotalTax      json.Number `json:"TotalTax,omitempty"`
	TaxLine       []Line      `json:"TaxLine,omitempty"`
}
