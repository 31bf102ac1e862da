package qbosim

import (
	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// ledgerView is the JSON of GET /_sim/companies/{realm}/ledger. Amounts are
// exact decimal strings; customer amounts are in the customer's currency,
// account amounts in the home currency.
type ledgerView struct {
	RealmID      string           `json:"realm_id"`
	HomeCurrency string           `json:"home_currency"`
	Customers    []ledgerCustomer `json:"customers"`
	Accounts     []ledgerAccount  `json:"accounts"`
	TotalDebits  string           `json:"total_debits"`
	TotalCredits string           `json:"total_credits"`
	Balanced     bool             `json:"balanced"`
}

type ledgerCustomer struct {
	ID                string          `json:"id"`
	DisplayName       string          `json:"display_name"`
	Active            bool            `json:"active"`
	Currency          string          `json:"currency"`
	OpenAR            string          `json:"open_ar"`
	OpenInvoices      string          `json:"open_invoices"`
	UnappliedPayments string          `json:"unapplied_payments"`
	RemainingCredits  string          `json:"remaining_credits"`
	JournalCharges    string          `json:"journal_charges"`
	JournalCredits    string          `json:"journal_credits"`
	Invoices          []ledgerInvoice `json:"invoices"`
}

type ledgerInvoice struct {
	ID        string `json:"id"`
	DocNumber string `json:"doc_number"`
	TxnDate   string `json:"txn_date"`
	TotalAmt  string `json:"total_amt"`
	Balance   string `json:"balance"`
	Voided    bool   `json:"voided"`
}

type ledgerAccount struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	SubType string `json:"subtype"`
	Debits  string `json:"debits"`
	Credits string `json:"credits"`
	Balance string `json:"balance"`
}

func (c *company) ledgerView() ledgerView {
	v := ledgerView{RealmID: c.realmID, HomeCurrency: c.prefs.HomeCurrency, Customers: []ledgerCustomer{}, Accounts: []ledgerAccount{}}
	invoices := map[string][]ledgerInvoice{}
	for _, inv := range c.all("Invoice") {
		openAmt, _ := c.open(inv, inv.txn.customer)
		invoices[inv.txn.customer] = append(invoices[inv.txn.customer], ledgerInvoice{
			ID: inv.id, DocNumber: inv.txn.docNumber, TxnDate: inv.txn.date,
			TotalAmt: inv.txn.total.String(), Balance: openAmt.String(), Voided: inv.txn.voided,
		})
	}
	for _, e := range c.all("Customer") {
		b := c.books.customer(e.id)
		inv := invoices[e.id]
		if inv == nil {
			inv = []ledgerInvoice{}
		}
		v.Customers = append(v.Customers, ledgerCustomer{
			ID: e.id, DisplayName: str(e.data, "DisplayName"), Active: e.active(),
			Currency: refValue(e.data, "CurrencyRef"), OpenAR: b.balance().String(),
			OpenInvoices: b.openInvoices.String(), UnappliedPayments: b.unappliedPayments.String(),
			RemainingCredits: b.remainingCredits.String(), JournalCharges: b.journalCharges.String(),
			JournalCredits: b.journalCredits.String(), Invoices: inv,
		})
	}
	var debits, credits money.Amount
	for _, e := range c.all("Account") {
		d, cr := c.books.debits[e.id], c.books.credits[e.id]
		debits += d
		credits += cr
		v.Accounts = append(v.Accounts, ledgerAccount{
			ID: e.id, Name: str(e.data, "Name"), Type: str(e.data, "AccountType"), SubType: str(e.data, "AccountSubType"),
			Debits: d.String(), Credits: cr.String(), Balance: c.accountBalance(e).String(),
		})
	}
	v.TotalDebits, v.TotalCredits, v.Balanced = debits.String(), credits.String(), debits == credits
	return v
}
