package qbosim

import (
	"sort"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// autoApply does what the company's automation preferences do after a
// create:
//   - AutoApplyPayments: a new payment without lines is applied to the
//     customer's open invoices, oldest first.
//   - AutoApplyCredit: a new invoice takes the customer's available credits,
//     oldest first: unapplied payments gain a line for it, and each credit
//     memo is applied through a TotalAmt 0 payment QuickBooks creates.
func (c *company) autoApply(e *entity, created bool, now time.Time) {
	if !created || e.txn == nil {
		return
	}
	switch {
	case e.kind.name == "Payment" && c.prefs.AutoApplyPayments && len(e.txn.links) == 0 && e.txn.total > 0:
		c.applyPaymentToInvoices(e, now)
	case e.kind.name == "Invoice" && c.prefs.AutoApplyCredit:
		c.applyCreditsToInvoice(e, now)
	default:
		return
	}
	c.refresh(now)
}

func (c *company) applyPaymentToInvoices(p *entity, now time.Time) {
	left := unapplied(p.txn.total, p.txn.links)
	links := append([]link(nil), p.txn.links...)
	for _, inv := range c.oldestFirst("Invoice", p.txn.customer) {
		if left == 0 {
			break
		}
		openAmt, _ := c.open(inv, p.txn.customer)
		if openAmt <= 0 || inv.txn.currency != p.txn.currency {
			continue
		}
		amt := money.Min(openAmt, left)
		links = append(links, link{targetKind: "Invoice", targetID: inv.id, amount: amt})
		left -= amt
	}
	if len(links) != len(p.txn.links) {
		t := *p.txn
		t.links = links
		p.txn = &t
		data := copyObject(p.data)
		data["Line"] = paymentLines(links)
		p.data = data
	}
}

func (c *company) applyCreditsToInvoice(inv *entity, now time.Time) {
	cust := inv.txn.customer
	credits := append(c.oldestFirst("Payment", cust), c.oldestFirst("CreditMemo", cust)...)
	sortOldest(credits)
	for _, cr := range credits {
		need, _ := c.open(inv, cust)
		if need <= 0 {
			return
		}
		if cr.txn.currency != inv.txn.currency {
			continue
		}
		if cr.kind.name == "Payment" {
			avail := unapplied(cr.txn.total, cr.txn.links)
			if avail <= 0 {
				continue
			}
			amt := money.Min(avail, need)
			links := append(append([]link(nil), cr.txn.links...), link{targetKind: "Invoice", targetID: inv.id, amount: amt})
			c.setPaymentLinks(cr, links, now)
		} else {
			avail, _ := c.open(cr, cust)
			if avail <= 0 {
				continue
			}
			c.creditPayment(inv, cr, money.Min(avail, need), now)
		}
		c.refresh(now)
	}
}

// creditPayment records the TotalAmt 0 payment that applies a credit memo to
// an invoice.
func (c *company) creditPayment(inv, memo *entity, amt money.Amount, now time.Time) {
	links := []link{
		{targetKind: "Invoice", targetID: inv.id, amount: amt},
		{targetKind: "CreditMemo", targetID: memo.id, amount: amt, credit: true},
	}
	p := &entity{kind: kindByName("Payment"), id: c.newID(), created: now, updated: now}
	p.data = map[string]any{
		"CustomerRef":         obj(inv.data, "CustomerRef"),
		"TotalAmt":            num(0),
		"TxnDate":             inv.txn.date,
		"CurrencyRef":         obj(inv.data, "CurrencyRef"),
		"DepositToAccountRef": ref(c.roles[roleUndeposited], "Undeposited Funds"),
		"ProcessPayment":      false,
		"PrivateNote":         "Credit applied automatically",
		"Line":                paymentLines(links),
	}
	p.txn = &txn{date: inv.txn.date, customer: inv.txn.customer, currency: inv.txn.currency, rate: inv.txn.rate, links: links}
	c.bumped[p] = true
	c.put(p)
}

// oldestFirst returns a customer's live documents of a kind by TxnDate, then
// Id.
func (c *company) oldestFirst(kindName, customer string) []*entity {
	var out []*entity
	for _, e := range c.entities[kindName] {
		if e.txn.customer == customer && !e.txn.voided {
			out = append(out, e)
		}
	}
	sortOldest(out)
	return out
}

func sortOldest(es []*entity) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].txn.date != es[j].txn.date {
			return es[i].txn.date < es[j].txn.date
		}
		return idLess(es[i].id, es[j].id)
	})
}
