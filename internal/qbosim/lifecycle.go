package qbosim

import (
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// remove deletes a transaction. Name-list entities cannot be deleted in
// QuickBooks, only made inactive.
func (c *company) remove(k *kind, body map[string]any, now time.Time) (map[string]any, error) {
	if !k.txn {
		return nil, errUnsupportedOperation("Operation Delete is not supported.")
	}
	if path, ok := c.schema.check(k.name, body); !ok {
		return nil, errUnsupportedProperty(path)
	}
	e, err := c.current(k, body)
	if err != nil {
		return nil, err
	}
	if err := c.checkPeriod(e.txn.date); err != nil {
		return nil, err
	}
	c.releaseLinksTo(e, now)
	delete(c.entities[k.name], e.id)
	c.tombstones = append(c.tombstones, tombstone{kind: k.name, id: e.id, created: e.created, deleted: now})
	c.refresh(now)
	return map[string]any{"status": "Deleted", "domain": "QBO", "Id": e.id}, nil
}

// void keeps a transaction but zeroes its amounts and releases everything
// linked to it, as QuickBooks does.
func (c *company) void(k *kind, body map[string]any, now time.Time) (*entity, error) {
	if !k.voidable {
		return nil, errUnsupportedOperation(fmt.Sprintf("Operation Void is not supported for %s.", k.name))
	}
	if path, ok := c.schema.check(k.name, body); !ok {
		return nil, errUnsupportedProperty(path)
	}
	e, err := c.current(k, body)
	if err != nil {
		return nil, err
	}
	if err := errIfVoided(e); err != nil {
		return nil, err
	}
	if err := c.checkPeriod(e.txn.date); err != nil {
		return nil, err
	}
	c.releaseLinksTo(e, now)
	voided := *e.txn
	voided.voided = true
	voided.total = 0
	voided.postings = nil
	voided.links = nil
	voided.ar = nil
	e.txn = &voided
	e.data = zeroAmounts(e.data)
	c.bump(e, now)
	c.refresh(now)
	return e, nil
}

// zeroAmounts returns the data of a voided document: every amount 0 and the
// memo QuickBooks writes.
func zeroAmounts(d map[string]any) map[string]any {
	out := copyObject(d)
	out["TotalAmt"] = num(0)
	out["PrivateNote"] = "Voided"
	if _, ok := out["HomeTotalAmt"]; ok {
		out["HomeTotalAmt"] = num(0)
	}
	var lines []any
	for _, l := range list(out, "Line") {
		line, ok := l.(map[string]any)
		if !ok {
			continue
		}
		if _, has := line["Amount"]; has {
			line["Amount"] = num(0)
		}
		if d := obj(line, "SalesItemLineDetail"); d != nil {
			if _, has := d["Qty"]; has {
				d["Qty"] = num(0)
			}
		}
		lines = append(lines, line)
	}
	if lines != nil {
		out["Line"] = lines
	}
	if t := obj(out, "TxnTaxDetail"); t != nil {
		t["TotalTax"] = num(0)
		delete(t, "TaxLine")
	}
	return out
}

// releaseLinksTo removes every payment line that links target. A payment
// left applying more than it holds gives up its last charges until it
// balances, so the documents those lines paid re-open.
func (c *company) releaseLinksTo(target *entity, now time.Time) {
	if target.kind.name == "Payment" {
		return
	}
	for _, p := range c.all("Payment") {
		if p.txn == nil || p.txn.voided {
			continue
		}
		kept := make([]link, 0, len(p.txn.links))
		for _, l := range p.txn.links {
			if l.targetKind == target.kind.name && l.targetID == target.id {
				continue
			}
			kept = append(kept, l)
		}
		if len(kept) == len(p.txn.links) {
			continue
		}
		kept = trimToTotal(p.txn.total, kept)
		c.setPaymentLinks(p, kept, now)
	}
}

// trimToTotal reduces charge links, last first, until charges no longer
// exceed the payment total plus the credits it uses.
func trimToTotal(total money.Amount, links []link) []link {
	excess := -unapplied(total, links)
	for i := len(links) - 1; i >= 0 && excess > 0; i-- {
		if links[i].credit {
			continue
		}
		cut := min(excess, links[i].amount)
		links[i].amount -= cut
		excess -= cut
	}
	out := links[:0]
	for _, l := range links {
		if l.amount > 0 {
			out = append(out, l)
		}
	}
	return out
}

// setPaymentLinks replaces a payment's applications and rewrites its lines
// to match, as a change QuickBooks made to the payment.
func (c *company) setPaymentLinks(p *entity, links []link, now time.Time) {
	t := *p.txn
	t.links = links
	p.txn = &t
	data := copyObject(p.data)
	data["Line"] = paymentLines(links)
	p.data = data
	c.bump(p, now)
}
