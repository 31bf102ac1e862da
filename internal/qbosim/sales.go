package qbosim

import (
	"math/big"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// prepareSales validates and prices an Invoice, CreditMemo, SalesReceipt or
// RefundReceipt: lines, discount, tax, TotalAmt and the ledger postings.
func (c *company) prepareSales(w *write) error {
	d := w.data
	name := w.kind.name
	cust, err := c.resolveRef(d, "CustomerRef", "Customer", "CustomerRef")
	if err != nil {
		return err
	}
	if cust == nil && (name == "Invoice" || name == "CreditMemo") {
		return errRequired("CustomerRef")
	}
	custID := ""
	if cust != nil {
		custID = cust.id
	}
	date, err := c.txnDate(w)
	if err != nil {
		return err
	}
	cur, rate, err := c.txnCurrency(w, cust)
	if err != nil {
		return err
	}
	calc, err := c.priceLines(w)
	if err != nil {
		return err
	}
	if calc.total < 0 {
		return errBusiness("The %s total cannot be negative (%s).", name, calc.total)
	}
	dn, err := c.docNumber(w, true)
	if err != nil {
		return err
	}
	control, err := c.salesControlAccount(w)
	if err != nil {
		return err
	}
	if err := c.checkLinkedChange(w, custID, calc.total); err != nil {
		return err
	}
	sign := money.Amount(1)
	if name == "CreditMemo" || name == "RefundReceipt" {
		sign = -1
	}
	setSalesFields(w, calc, date, rate)
	c.salesDefaults(w, cust)
	w.txn = &txn{
		date: date, customer: custID, currency: cur, rate: rate, total: calc.total, docNumber: dn,
		postings: ledger(control, calc.ledgerLines, sign, rate),
	}
	return nil
}

// setSalesFields writes what QuickBooks computes onto a sales document.
func setSalesFields(w *write, calc *salesCalc, date string, rate *big.Rat) {
	d := w.data
	d["Line"] = calc.lines
	d["TotalAmt"] = num(calc.total)
	d["TxnTaxDetail"] = calc.taxDetail
	delete(d, "HomeTotalAmt")
	if rate != nil {
		d["HomeTotalAmt"] = num(calc.total.MulRat(rate))
	}
	switch w.kind.name {
	case "Invoice":
		if due, ok := calendarDate(str(d, "DueDate")); ok {
			d["DueDate"] = due
		} else {
			due, _ := time.Parse("2006-01-02", date)
			d["DueDate"] = due.AddDate(0, 0, 30).Format("2006-01-02")
		}
		if _, ok := d["EmailStatus"]; !ok {
			d["EmailStatus"] = "NotSet"
		}
	case "SalesReceipt", "RefundReceipt":
		d["Balance"] = num(0)
	}
}

// salesControlAccount is the account a sales document's total posts to:
// A/R for invoices and credit memos, the deposit account for receipts.
func (c *company) salesControlAccount(w *write) (string, error) {
	switch w.kind.name {
	case "Invoice", "CreditMemo":
		return c.arAccount(w.data)
	case "SalesReceipt":
		acct, err := c.depositAccount(w.data, true)
		if err != nil {
			return "", err
		}
		return acct, nil
	}
	// RefundReceipt: the money leaves a real account, never Undeposited Funds.
	if refValue(w.data, "DepositToAccountRef") == "" {
		return "", errRequired("DepositToAccountRef")
	}
	acct, err := c.depositAccount(w.data, false)
	if err != nil {
		return "", err
	}
	if acct == c.roles[roleUndeposited] {
		return "", errBusiness("A refund cannot be paid from Undeposited Funds; choose a bank or other current asset account.")
	}
	return acct, nil
}

// arAccount resolves ARAccountRef, defaulting to the company's A/R account.
func (c *company) arAccount(d map[string]any) (string, error) {
	a, err := c.resolveRef(d, "ARAccountRef", "Account", "ARAccountRef")
	if err != nil {
		return "", err
	}
	if a == nil {
		return c.roles[roleAR], nil
	}
	if str(a.data, "AccountType") != "Accounts Receivable" {
		return "", errBusiness("ARAccountRef must be an Accounts Receivable account.")
	}
	return a.id, nil
}

// depositAccount resolves DepositToAccountRef, which must be an asset money
// can sit in; it defaults to Undeposited Funds when allowed.
func (c *company) depositAccount(d map[string]any, defaultUndeposited bool) (string, error) {
	a, err := c.resolveRef(d, "DepositToAccountRef", "Account", "DepositToAccountRef")
	if err != nil {
		return "", err
	}
	if a == nil {
		if !defaultUndeposited {
			return "", errRequired("DepositToAccountRef")
		}
		id := c.roles[roleUndeposited]
		d["DepositToAccountRef"] = ref(id, c.get("Account", id).displayName())
		return id, nil
	}
	switch str(a.data, "AccountType") {
	case "Bank", "Other Current Asset", "Credit Card":
		return a.id, nil
	}
	return "", errBusiness("DepositToAccountRef must be a Bank, Other Current Asset or Credit Card account, not %s.", str(a.data, "AccountType"))
}

// checkLinkedChange refuses an update that would break documents payments
// already apply: a different customer, or a total below what is applied.
func (c *company) checkLinkedChange(w *write, custID string, total money.Amount) error {
	if w.old == nil {
		return nil
	}
	applied := c.books.applied[linkKey(w.kind.name, w.old.id)]
	if applied == 0 {
		return nil
	}
	if custID != w.old.txn.customer {
		return errBusiness("The customer of %s %s cannot change while payments are applied to it.", w.kind.name, w.old.id)
	}
	if total < applied {
		return errBusiness("The %s total (%s) cannot be less than the amount already applied to it (%s).", w.kind.name, total, applied)
	}
	return nil
}
