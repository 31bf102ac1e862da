package qbosim

import "strings"

// fieldType says how a queryable property compares.
type fieldType int

const (
	fString   fieldType = iota // case-insensitive text
	fID                        // numeric when both sides are numbers
	fNumber                    // exact decimal
	fBool                      // true / false
	fDate                      // YYYY-MM-DD
	fDateTime                  // RFC 3339 timestamp
	fRef                       // the value of a ReferenceType
)

// kind describes one entity type of the API.
type kind struct {
	name     string // Intuit's entity name, e.g. "Invoice"
	nameList bool   // has Active; cannot be deleted, only made inactive
	writable bool
	txn      bool // a transaction: dated, posts to the ledger, may be deleted
	voidable bool
	fields   map[string]fieldType // properties a query may filter and sort on
}

// kinds is the read-only table of every entity the simulator serves.
var kinds = []*kind{
	{name: "Customer", nameList: true, writable: true, fields: queryable(map[string]fieldType{
		"DisplayName": fString, "GivenName": fString, "FamilyName": fString, "MiddleName": fString,
		"CompanyName": fString, "FullyQualifiedName": fString, "Active": fBool, "Balance": fNumber,
		"ParentRef": fRef, "Job": fBool,
	})},
	{name: "Item", nameList: true, writable: true, fields: queryable(map[string]fieldType{
		"Name": fString, "FullyQualifiedName": fString, "Active": fBool, "Type": fString, "Sku": fString,
	})},
	{name: "Account", nameList: true, writable: true, fields: queryable(map[string]fieldType{
		"Name": fString, "FullyQualifiedName": fString, "Active": fBool, "AccountType": fString,
		"AccountSubType": fString, "Classification": fString, "CurrentBalance": fNumber,
	})},
	{name: "PaymentMethod", nameList: true, writable: true, fields: queryable(map[string]fieldType{
		"Name": fString, "Active": fBool, "Type": fString,
	})},
	{name: "Invoice", writable: true, txn: true, voidable: true, fields: queryable(map[string]fieldType{
		"DocNumber": fString, "TxnDate": fDate, "DueDate": fDate, "CustomerRef": fRef,
		"Balance": fNumber, "TotalAmt": fNumber,
	})},
	{name: "CreditMemo", writable: true, txn: true, voidable: true, fields: queryable(map[string]fieldType{
		"DocNumber": fString, "TxnDate": fDate, "CustomerRef": fRef, "Balance": fNumber, "TotalAmt": fNumber,
	})},
	{name: "SalesReceipt", writable: true, txn: true, voidable: true, fields: queryable(map[string]fieldType{
		"DocNumber": fString, "TxnDate": fDate, "CustomerRef": fRef, "TotalAmt": fNumber,
	})},
	{name: "RefundReceipt", writable: true, txn: true, voidable: true, fields: queryable(map[string]fieldType{
		"DocNumber": fString, "TxnDate": fDate, "CustomerRef": fRef, "TotalAmt": fNumber,
	})},
	{name: "Payment", writable: true, txn: true, voidable: true, fields: queryable(map[string]fieldType{
		"TxnDate": fDate, "CustomerRef": fRef, "TotalAmt": fNumber,
	})},
	{name: "JournalEntry", writable: true, txn: true, fields: queryable(map[string]fieldType{
		"DocNumber": fString, "TxnDate": fDate,
	})},
	{name: "TaxCode", nameList: true, fields: queryable(map[string]fieldType{"Name": fString, "Active": fBool})},
	{name: "TaxRate", nameList: true, fields: queryable(map[string]fieldType{"Name": fString, "Active": fBool})},
	{name: "CompanyInfo", fields: queryable(nil)},
	{name: "Preferences", fields: queryable(nil)},
}

func queryable(m map[string]fieldType) map[string]fieldType {
	out := map[string]fieldType{"Id": fID, "MetaData.CreateTime": fDateTime, "MetaData.LastUpdatedTime": fDateTime}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// kindByName finds a kind by Intuit's entity name, ignoring case, as URL
// segments ("invoice"), query FROM clauses and CDC entity lists name them.
func kindByName(name string) *kind {
	for _, k := range kinds {
		if strings.EqualFold(k.name, name) {
			return k
		}
	}
	return nil
}

// field resolves a queryable property name case-insensitively.
func (k *kind) field(name string) (string, fieldType, bool) {
	for f, t := range k.fields {
		if strings.EqualFold(f, name) {
			return f, t, true
		}
	}
	return "", 0, false
}

// prepare validates and normalises a write of this kind.
func (k *kind) prepare(c *company, w *write) error {
	switch k.name {
	case "Customer":
		return c.prepareCustomer(w)
	case "Item":
		return c.prepareItem(w)
	case "Account":
		return c.prepareAccount(w)
	case "PaymentMethod":
		return c.preparePaymentMethod(w)
	case "Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt":
		return c.prepareSales(w)
	case "Payment":
		return c.preparePayment(w)
	case "JournalEntry":
		return c.prepareJournal(w)
	}
	return errUnsupportedOperation("Operation is not supported for " + k.name)
}
