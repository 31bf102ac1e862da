package qbosim

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// prepareJournal validates a JournalEntry: every line posts a positive
// amount as a Debit or Credit to an active account, debits equal credits, and
// a line on Accounts Receivable names the customer it belongs to. Such lines
// leave an open charge (debit) or credit on that customer, which payments
// can link.
func (c *company) prepareJournal(w *write) error {
	d := w.data
	if len(list(d, "Line")) == 0 {
		return errRequired("Line")
	}
	date, err := c.txnDate(w)
	if err != nil {
		return err
	}
	j, err := c.journalLines(w)
	if err != nil {
		return err
	}
	if j.debits != j.credits {
		return errBusiness("The journal entry is out of balance: debits %s, credits %s. Debits and credits must be equal.", j.debits, j.credits)
	}
	cur, rate, err := c.txnCurrency(w, j.arCustomer)
	if err != nil {
		return err
	}
	if err := c.checkJournalLinks(w, j.ar); err != nil {
		return err
	}
	dn, err := c.docNumber(w, false)
	if err != nil {
		return err
	}
	d["TotalAmt"] = num(j.debits)
	w.txn = &txn{date: date, currency: cur, rate: rate, total: j.debits, docNumber: dn, ar: j.ar, postings: journalPostings(j.lines, rate)}
	return nil
}

// journalTotals sums a journal's lines.
type journalTotals struct {
	lines      map[string]money.Amount // signed per account, debit positive
	ar         map[string]money.Amount // signed A/R per customer
	debits     money.Amount
	credits    money.Amount
	arCustomer *entity
}

func (c *company) journalLines(w *write) (journalTotals, error) {
	j := journalTotals{lines: map[string]money.Amount{}, ar: map[string]money.Amount{}}
	ids := newLineIDs(w.old)
	for i, l := range list(w.data, "Line") {
		elem := fmt.Sprintf("Line[%d]", i)
		line, ok := l.(map[string]any)
		if !ok {
			return j, errMalformed(elem + " must be an object")
		}
		ids.assign(line, w.old != nil)
		line["LineNum"] = jsonNumber(strconv.Itoa(i + 1))
		switch str(line, "DetailType") {
		case "DescriptionOnly":
			continue
		case "JournalEntryLineDetail":
		default:
			return j, errRequired(elem + ".DetailType")
		}
		p, cust, err := c.journalLine(line, elem)
		if err != nil {
			return j, err
		}
		j.lines[p.account] += p.amount
		if p.amount > 0 {
			j.debits += p.amount
		} else {
			j.credits -= p.amount
		}
		if cust != nil {
			j.ar[cust.id] += p.amount
			j.arCustomer = cust
		}
	}
	return j, nil
}

// journalLine validates one JournalEntryLineDetail line and returns its
// posting and, for an A/R line, its customer.
func (c *company) journalLine(line map[string]any, elem string) (posting, *entity, error) {
	amt, ok, err := amount(line, "Amount", elem+".Amount")
	if err != nil {
		return posting{}, nil, err
	}
	if !ok {
		return posting{}, nil, errRequired(elem + ".Amount")
	}
	if amt < 0 {
		return posting{}, nil, errBusiness("%s.Amount cannot be negative; use PostingType to choose the side.", elem)
	}
	line["Amount"] = num(amt)
	detail := obj(line, "JournalEntryLineDetail")
	if detail == nil {
		return posting{}, nil, errRequired(elem + ".JournalEntryLineDetail")
	}
	sign := money.Amount(1)
	switch str(detail, "PostingType") {
	case "Debit":
	case "Credit":
		sign = -1
	case "":
		return posting{}, nil, errRequired(elem + ".JournalEntryLineDetail.PostingType")
	default:
		return posting{}, nil, errBusiness("%s.JournalEntryLineDetail.PostingType must be Debit or Credit.", elem)
	}
	if refValue(detail, "AccountRef") == "" {
		return posting{}, nil, errRequired(elem + ".JournalEntryLineDetail.AccountRef")
	}
	acct, err := c.resolveRef(detail, "AccountRef", "Account", elem+".JournalEntryLineDetail.AccountRef")
	if err != nil {
		return posting{}, nil, err
	}
	cust, err := c.journalEntity(detail, elem)
	if err != nil {
		return posting{}, nil, err
	}
	if str(acct.data, "AccountType") != "Accounts Receivable" {
		return posting{account: acct.id, amount: sign * amt}, nil, nil
	}
	if cust == nil {
		return posting{}, nil, errBusiness("When you use Accounts Receivable, you must choose a customer in the Name field. (%s)", elem)
	}
	return posting{account: acct.id, amount: sign * amt}, cust, nil
}

// journalEntity resolves a line's Entity; only customers are simulated.
func (c *company) journalEntity(detail map[string]any, elem string) (*entity, error) {
	ent := obj(detail, "Entity")
	if ent == nil {
		return nil, nil
	}
	if t := str(ent, "Type"); t != "" && t != "Customer" {
		return nil, errBusiness("%s.JournalEntryLineDetail.Entity.Type %q is not supported; only Customer names are simulated.", elem, t)
	}
	cust, err := c.resolveRef(ent, "EntityRef", "Customer", elem+".JournalEntryLineDetail.Entity.EntityRef")
	if err != nil {
		return nil, err
	}
	if cust == nil {
		return nil, errRequired(elem + ".JournalEntryLineDetail.Entity.EntityRef")
	}
	ent["Type"] = "Customer"
	return cust, nil
}

// checkJournalLinks refuses an update that leaves less on a customer's A/R
// line than payments already apply to it.
func (c *company) checkJournalLinks(w *write, ar map[string]money.Amount) error {
	if w.old == nil {
		return nil
	}
	for cust, old := range w.old.txn.ar {
		applied := c.books.applied[appliedKey("JournalEntry", w.old.id, cust)]
		if applied == 0 {
			continue
		}
		now := ar[cust]
		if (old > 0) != (now > 0) || now.Abs() < applied {
			return errBusiness("JournalEntry %s: payments apply %s to the A/R line of customer %s; the line cannot drop below that.", w.old.id, applied, cust)
		}
	}
	return nil
}

// journalPostings converts a journal's lines to the home currency, putting
// any rounding difference on the largest line so the entry still balances.
func journalPostings(lines map[string]money.Amount, rate *big.Rat) []posting {
	accounts := make([]string, 0, len(lines))
	for acct, amt := range lines {
		if amt != 0 {
			accounts = append(accounts, acct)
		}
	}
	sort.Slice(accounts, func(i, j int) bool { return idLess(accounts[i], accounts[j]) })
	out := make([]posting, 0, len(accounts))
	var sum money.Amount
	largest := -1
	for _, acct := range accounts {
		amt := lines[acct]
		if rate != nil {
			amt = amt.MulRat(rate)
		}
		out = append(out, posting{account: acct, amount: amt})
		sum += amt
		if largest < 0 || amt.Abs() > out[largest].amount.Abs() {
			largest = len(out) - 1
		}
	}
	if sum != 0 && largest >= 0 {
		out[largest].amount -= sum
	}
	return out
}
