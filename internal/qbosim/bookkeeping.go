package qbosim

import (
	"math/big"
	"reflect"
	"slices"
	"sort"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// txn is the bookkeeping view of a transaction: what it posts to the ledger
// and what it applies, in exact cents.
type txn struct {
	date      string
	customer  string
	currency  string
	rate      *big.Rat                // home units per transaction unit; nil means 1
	total     money.Amount            // TotalAmt in the transaction currency
	postings  []posting               // home currency; debits positive, credits negative
	links     []link                  // Payment: the documents its lines apply to
	ar        map[string]money.Amount // JournalEntry: signed A/R per customer, debit positive
	docNumber string
	voided    bool
}

// posting is one ledger line.
type posting struct {
	account string
	amount  money.Amount // debit positive, credit negative
}

// link is one payment line's application to a document.
type link struct {
	targetKind string // Invoice, CreditMemo or JournalEntry
	targetID   string
	amount     money.Amount
	credit     bool // the document is a credit (credit memo, A/R credit journal)
}

// books is what the ledger derives from all transactions; refresh rebuilds
// it after every change so balances can never drift from the documents.
type books struct {
	applied   map[string]money.Amount // by appliedKey: amount payments apply to a document
	linkedBy  map[string][]string     // by linkKey: ids of the payments applying it
	debits    map[string]money.Amount // by account id
	credits   map[string]money.Amount // by account id
	customers map[string]*customerBooks
}

// customerBooks is a customer's open A/R by component.
type customerBooks struct {
	openInvoices      money.Amount
	unappliedPayments money.Amount
	remainingCredits  money.Amount
	journalCharges    money.Amount
	journalCredits    money.Amount
}

func (b *customerBooks) balance() money.Amount {
	return b.openInvoices + b.journalCharges - b.unappliedPayments - b.remainingCredits - b.journalCredits
}

func linkKey(kindName, id string) string { return kindName + "/" + id }

// appliedKey identifies what a payment line applies: a document, or for a
// journal entry the A/R line of the paying customer.
func appliedKey(kindName, id, customer string) string {
	if kindName == "JournalEntry" {
		return kindName + "/" + id + "/" + customer
	}
	return linkKey(kindName, id)
}

// unapplied is a payment's UnappliedAmt: what it holds beyond the charges it
// pays, counting the credits it uses.
func unapplied(total money.Amount, links []link) money.Amount {
	u := total
	for _, l := range links {
		if l.credit {
			u += l.amount
		} else {
			u -= l.amount
		}
	}
	return u
}

// open returns what is still open on a document for a customer: an invoice's
// balance, a credit memo's remaining credit, a journal's A/R line not yet
// linked. credit reports whether it is a credit.
func (c *company) open(e *entity, customer string) (amt money.Amount, credit bool) {
	if e.txn == nil || e.txn.voided {
		return 0, e.kind.name == "CreditMemo"
	}
	applied := c.books.applied[appliedKey(e.kind.name, e.id, customer)]
	switch e.kind.name {
	case "Invoice":
		return e.txn.total - applied, false
	case "CreditMemo":
		return e.txn.total - applied, true
	case "JournalEntry":
		ar := e.txn.ar[customer]
		if ar < 0 {
			return -ar - applied, true
		}
		return ar - applied, false
	}
	return 0, false
}

// refresh rebuilds the books and the derived properties QuickBooks shows:
// Balance, RemainingCredit, UnappliedAmt, LinkedTxn, customer and account
// balances. A transaction whose derived properties change because another
// one linked or unlinked it gets a new SyncToken, as in QuickBooks (once per
// operation, see bump).
func (c *company) refresh(now time.Time) {
	b := books{
		applied:   make(map[string]money.Amount),
		linkedBy:  make(map[string][]string),
		debits:    make(map[string]money.Amount),
		credits:   make(map[string]money.Amount),
		customers: make(map[string]*customerBooks),
	}
	for _, kindName := range []string{"Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt", "Payment", "JournalEntry"} {
		for _, e := range c.entities[kindName] {
			for _, p := range e.txn.postings {
				if p.amount > 0 {
					b.debits[p.account] += p.amount
				} else {
					b.credits[p.account] -= p.amount
				}
			}
			for _, l := range e.txn.links {
				b.applied[appliedKey(l.targetKind, l.targetID, e.txn.customer)] += l.amount
				k := linkKey(l.targetKind, l.targetID)
				if !slices.Contains(b.linkedBy[k], e.id) {
					b.linkedBy[k] = append(b.linkedBy[k], e.id)
				}
			}
		}
	}
	c.books = b
	c.deriveDocuments(now)
	c.deriveCustomers()
	c.deriveAccounts()
}

func (b *books) customer(id string) *customerBooks {
	cb := b.customers[id]
	if cb == nil {
		cb = &customerBooks{}
		b.customers[id] = cb
	}
	return cb
}

func (c *company) deriveDocuments(now time.Time) {
	for _, kindName := range []string{"Invoice", "CreditMemo", "Payment", "JournalEntry"} {
		for _, e := range c.entities[kindName] {
			derived := c.derivedFields(e)
			changed := false
			for key, v := range derived {
				old, had := e.data[key]
				if v == nil {
					if had {
						changed = true
					}
					continue
				}
				if !had || !reflect.DeepEqual(old, v) {
					changed = true
				}
			}
			if !changed {
				continue
			}
			data := make(map[string]any, len(e.data)+len(derived))
			for key, v := range e.data {
				data[key] = v
			}
			for key, v := range derived {
				if v == nil {
					delete(data, key)
				} else {
					data[key] = v
				}
			}
			e.data = data
			c.bump(e, now)
		}
	}
}

// derivedFields computes a document's open amounts and links and books them
// to its customer.
func (c *company) derivedFields(e *entity) map[string]any {
	t := e.txn
	out := map[string]any{}
	switch e.kind.name {
	case "Invoice", "CreditMemo":
		openAmt, _ := c.open(e, t.customer)
		out["Balance"] = num(openAmt)
		if e.kind.name == "CreditMemo" {
			out["RemainingCredit"] = num(openAmt)
			c.books.customer(t.customer).remainingCredits += openAmt
		} else {
			c.books.customer(t.customer).openInvoices += openAmt
		}
		out["HomeBalance"] = nil
		if t.rate != nil {
			out["HomeBalance"] = num(openAmt.MulRat(t.rate))
		}
		out["LinkedTxn"] = c.linkedPayments(e)
	case "Payment":
		u := unapplied(t.total, t.links)
		out["UnappliedAmt"] = num(u)
		c.books.customer(t.customer).unappliedPayments += u
	case "JournalEntry":
		for cust := range t.ar {
			openAmt, credit := c.open(e, cust)
			if credit {
				c.books.customer(cust).journalCredits += openAmt
			} else {
				c.books.customer(cust).journalCharges += openAmt
			}
		}
		out["LinkedTxn"] = c.linkedPayments(e)
	}
	return out
}

// linkedPayments is the LinkedTxn list of a document: the payments applying
// it. nil removes the property.
func (c *company) linkedPayments(e *entity) any {
	ids := slices.Clone(c.books.linkedBy[linkKey(e.kind.name, e.id)])
	if len(ids) == 0 {
		return nil
	}
	slices.SortFunc(ids, func(a, b string) int {
		if idLess(a, b) {
			return -1
		}
		return 1
	})
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]any{"TxnId": id, "TxnType": "Payment"})
	}
	return out
}

func (c *company) deriveCustomers() {
	customers := c.entities["Customer"]
	withJobs := make(map[string]money.Amount)
	for _, e := range customers {
		bal := c.books.customer(e.id).balance()
		withJobs[e.id] += bal
		for p := refValue(e.data, "ParentRef"); p != ""; {
			withJobs[p] += bal
			parent := c.get("Customer", p)
			if parent == nil {
				break
			}
			p = refValue(parent.data, "ParentRef")
		}
	}
	for _, e := range customers {
		e.data["Balance"] = num(c.books.customer(e.id).balance())
		e.data["BalanceWithJobs"] = num(withJobs[e.id])
	}
}

func (c *company) deriveAccounts() {
	for _, e := range c.entities["Account"] {
		bal := c.accountBalance(e)
		e.data["CurrentBalance"] = num(bal)
		e.data["CurrentBalanceWithSubAccounts"] = num(bal)
	}
}

// accountBalance is the balance QuickBooks shows: debit-normal for assets
// and expenses, credit-normal for liabilities, equity and income.
func (c *company) accountBalance(e *entity) money.Amount {
	net := c.books.debits[e.id] - c.books.credits[e.id]
	switch str(e.data, "Classification") {
	case "Liability", "Equity", "Revenue":
		return -net
	}
	return net
}

// ledger posts a document's lines: control is the account the total goes to
// (A/R or a bank), lines are the other side per account, sign +1 for a
// document that debits control (invoice, sales receipt), -1 for one that
// credits it (credit memo, refund). Amounts are converted to the home
// currency line by line and control takes the sum, so a document always
// balances.
func ledger(control string, lines map[string]money.Amount, sign money.Amount, rate *big.Rat) []posting {
	accounts := make([]string, 0, len(lines))
	for a := range lines {
		accounts = append(accounts, a)
	}
	sort.Slice(accounts, func(i, j int) bool { return idLess(accounts[i], accounts[j]) })
	var out []posting
	var sum money.Amount
	for _, a := range accounts {
		amt := lines[a]
		if rate != nil {
			amt = amt.MulRat(rate)
		}
		if amt == 0 {
			continue
		}
		out = append(out, posting{account: a, amount: -sign * amt})
		sum += amt
	}
	if sum != 0 {
		out = append([]posting{{account: control, amount: sign * sum}}, out...)
	}
	return out
}
