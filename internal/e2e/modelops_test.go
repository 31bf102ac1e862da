package e2e

import (
	"fmt"
	"slices"

	"github.com/qbosync/qbosync/internal/billing"
)

// modelOp is one thing that can happen in a billing system. It reports
// false when the customer's state does not allow it (nothing to pay, ...).
type modelOp struct {
	name   string
	weight int
	do     func(m *billingModel, c *modelCustomer) bool
}

var modelOps = []modelOp{
	{"invoice", 18, (*billingModel).newInvoice},
	{"post draft", 3, (*billingModel).postDraft},
	{"edit invoice", 4, (*billingModel).editInvoice},
	{"void invoice", 3, (*billingModel).voidInvoice},
	{"payment", 18, (*billingModel).newPayment},
	{"reapply payment", 6, (*billingModel).reapplyPayment},
	{"void payment", 2, (*billingModel).voidPayment},
	{"credit", 6, (*billingModel).newCredit},
	{"reapply credit", 3, (*billingModel).reapplyCredit},
	{"charge reversal", 4, func(m *billingModel, c *modelCustomer) bool { return m.againstInvoice(c, billing.KindChargeReversal) }},
	{"write-off", 3, func(m *billingModel, c *modelCustomer) bool { return m.againstInvoice(c, billing.KindWriteOff) }},
	{"void credit", 3, (*billingModel).voidCredit},
	{"refund", 5, (*billingModel).newRefund},
	{"void refund", 1, (*billingModel).voidRefund},
	{"sale", 5, (*billingModel).newSale},
	{"refund sale", 2, (*billingModel).refundSale},
	{"void sale", 1, (*billingModel).voidSale},
	{"rename customer", 2, (*billingModel).renameCustomer},
}

// generate writes a history of about events events for customers
// customers: products and customers first, then every kind of change at
// least once where possible (so even a short history covers them all),
// then changes drawn by weight.
func (m *billingModel) generate(customers, events int) {
	for i := range 3 {
		p := &modelProduct{id: m.newID("prod"), name: fmt.Sprintf("Plan %s %d", m.tenant, i+1)}
		m.products = append(m.products, p)
		m.emit(billing.KindProduct, billing.ActionCreated, p.id, 1,
			map[string]any{"id": p.id, "version": 1, "name": p.name, "active": true})
	}
	for range customers {
		id := m.newID("cus")
		c := &modelCustomer{id: id, version: 1, name: fmt.Sprintf("Customer %s %s", m.tenant, id),
			email: id + "@" + m.tenant + ".example"}
		m.customers = append(m.customers, c)
		m.emit(billing.KindCustomer, billing.ActionCreated, c.id, 1, customerData(c))
	}
	for range 2 {
		for _, i := range m.rng.Perm(len(modelOps)) {
			for range 4 {
				if modelOps[i].do(m, m.pickCustomer()) {
					break
				}
			}
		}
	}
	total := 0
	for _, op := range modelOps {
		total += op.weight
	}
	for len(m.events) < events {
		n := m.rng.IntN(total)
		for _, op := range modelOps {
			if n -= op.weight; n < 0 {
				op.do(m, m.pickCustomer())
				break
			}
		}
	}
}

func (m *billingModel) pickCustomer() *modelCustomer {
	return m.customers[m.rng.IntN(len(m.customers))]
}

// between returns a random amount in [lo, hi].
func (m *billingModel) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + m.rng.Int64N(hi-lo+1)
}

func (m *billingModel) lines() []modelLine {
	var out []modelLine
	for i := range 1 + m.rng.IntN(3) {
		l := modelLine{id: fmt.Sprintf("l%d", i+1), qty: m.between(1, 3), unit: m.between(5, 200) * 100}
		if m.rng.IntN(10) < 7 {
			l.product = m.products[m.rng.IntN(len(m.products))].id
		}
		if m.rng.IntN(5) == 0 {
			l.discount = m.between(1, l.amount()/5)
		}
		if m.rng.IntN(3) == 0 {
			l.tax = (l.amount() - l.discount) * 7 / 100
		}
		out = append(out, l)
	}
	return out
}

func (m *billingModel) newInvoice(c *modelCustomer) bool {
	v := &modelInvoice{id: m.newID("inv"), customer: c.id, date: m.date(), status: "posted", lines: m.lines()}
	v.number = fmt.Sprintf("INV-%05d", m.next["inv"])
	switch n := m.rng.IntN(20); {
	case n < 3:
		v.status = "draft"
	case n < 4: // a $0 invoice: a free month
		v.lines = []modelLine{{id: "l1", product: m.products[0].id, qty: 1}}
		v.status = "paid"
	}
	m.invoices = append(m.invoices, v)
	m.sendInvoice(v, billing.ActionCreated)
	return true
}

// invoicesOf returns c's invoices that match keep.
func (m *billingModel) invoicesOf(c *modelCustomer, keep func(*modelInvoice) bool) []*modelInvoice {
	var out []*modelInvoice
	for _, v := range m.invoices {
		if v.customer == c.id && keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func (m *billingModel) open(c *modelCustomer) []*modelInvoice {
	return m.invoicesOf(c, func(v *modelInvoice) bool { return v.status == "posted" && m.due(v) > 0 })
}

func pick[T any](m *billingModel, list []T) (T, bool) {
	var zero T
	if len(list) == 0 {
		return zero, false
	}
	return list[m.rng.IntN(len(list))], true
}

func (m *billingModel) postDraft(c *modelCustomer) bool {
	v, ok := pick(m, m.invoicesOf(c, func(v *modelInvoice) bool { return v.status == "draft" }))
	if !ok {
		return false
	}
	v.status = "posted"
	v.status = m.statusOf(v)
	m.sendInvoice(v, billing.ActionUpdated)
	return true
}

// editInvoice changes the lines of an invoice nothing was ever applied to.
func (m *billingModel) editInvoice(c *modelCustomer) bool {
	v, ok := pick(m, m.invoicesOf(c, func(v *modelInvoice) bool {
		return (v.status == "posted" || v.status == "draft") && !v.everApplied && v.total() > 0
	}))
	if !ok {
		return false
	}
	v.lines = m.lines()
	v.status = m.statusOf(v)
	m.sendInvoice(v, billing.ActionUpdated)
	return true
}

// voidInvoice voids a posted invoice nothing is applied to now.
func (m *billingModel) voidInvoice(c *modelCustomer) bool {
	v, ok := pick(m, m.invoicesOf(c, func(v *modelInvoice) bool {
		return v.status == "posted" && m.applied(v.id) == 0
	}))
	if !ok {
		return false
	}
	v.status = "voided"
	m.sendInvoice(v, billing.ActionVoided)
	return true
}

// applyTo spends up to budget on c's open invoices: in full, in part, or
// split over several; it returns the applications.
func (m *billingModel) applyTo(c *modelCustomer, budget int64, skip func(string) bool) []application {
	var apps []application
	open := m.open(c)
	m.rng.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	for _, v := range open[:min(len(open), 1+m.rng.IntN(3))] {
		if budget <= 0 || skip(v.id) {
			continue
		}
		amt := min(m.due(v), budget)
		if m.rng.IntN(3) == 0 {
			amt = m.between(1, amt) // partial
		}
		apps = append(apps, application{invoice: v.id, amount: amt})
		budget -= amt
	}
	return apps
}

func (m *billingModel) newPayment(c *modelCustomer) bool {
	p := &modelPayment{id: m.newID("pay"), customer: c.id, date: m.date(), version: 1,
		method: []string{"card", "ach", "check", "cash", "other"}[m.rng.IntN(5)]}
	p.reference = "ref-" + p.id
	var openDue int64
	for _, v := range m.open(c) {
		openDue += m.due(v)
	}
	if openDue == 0 || m.rng.IntN(8) == 0 {
		p.amount = m.between(10, 100) * 100 // paid ahead: all credit
	} else {
		p.amount = m.between(1, openDue)
		if m.rng.IntN(2) == 0 {
			p.amount = openDue
		}
		p.apps = m.applyTo(c, p.amount, func(string) bool { return false })
		if m.rng.IntN(5) == 0 {
			p.amount += m.between(1, 50) * 100 // over-payment left as credit
		}
	}
	m.payments = append(m.payments, p)
	m.emit(billing.KindPayment, billing.ActionCreated, p.id, p.version, paymentData(p))
	m.settle()
	return true
}

// reapplyPayment changes a payment's applications: what it still holds
// goes to open invoices, or an application is reduced or taken back.
func (m *billingModel) reapplyPayment(c *modelCustomer) bool {
	p, ok := pick(m, m.livePayments(c))
	if !ok {
		return false
	}
	if !m.reapply(c, &p.apps, m.free(p)) {
		return false
	}
	p.version++
	m.emit(billing.KindPayment, billing.ActionUpdated, p.id, p.version, paymentData(p))
	m.settle()
	return true
}

// reapply moves applications of a document holding free: more applied when
// it can (two times in three), else one application reduced or removed.
func (m *billingModel) reapply(c *modelCustomer, apps *[]application, free int64) bool {
	if free > 0 && m.rng.IntN(3) > 0 {
		has := func(id string) bool { return appliedTo(*apps, id) > 0 }
		if more := m.applyTo(c, free, has); len(more) > 0 {
			*apps = append(*apps, more...)
			return true
		}
	}
	if len(*apps) == 0 {
		return false
	}
	i := m.rng.IntN(len(*apps))
	if a := &(*apps)[i]; a.amount > 1 && m.rng.IntN(2) == 0 {
		a.amount = m.between(1, a.amount-1)
	} else {
		*apps = slices.Delete(*apps, i, i+1)
	}
	return true
}

func (m *billingModel) livePayments(c *modelCustomer) []*modelPayment {
	var out []*modelPayment
	for _, p := range m.payments {
		if p.customer == c.id && !p.voided {
			out = append(out, p)
		}
	}
	return out
}

// voidPayment voids a payment nothing was refunded from.
func (m *billingModel) voidPayment(c *modelCustomer) bool {
	var candidates []*modelPayment
	for _, p := range m.livePayments(c) {
		if !m.refunded(p) {
			candidates = append(candidates, p)
		}
	}
	p, ok := pick(m, candidates)
	if !ok {
		return false
	}
	p.voided = true
	p.version++
	m.emit(billing.KindPayment, billing.ActionVoided, p.id, p.version, paymentData(p))
	m.settle()
	return true
}

func (m *billingModel) refunded(p *modelPayment) bool {
	for _, r := range m.refunds {
		if r.payment == p.id && !r.voided {
			return true
		}
	}
	return false
}

func (m *billingModel) renameCustomer(c *modelCustomer) bool {
	c.version++
	c.name = fmt.Sprintf("Customer %s %s v%d", m.tenant, c.id, c.version)
	m.emit(billing.KindCustomer, billing.ActionUpdated, c.id, c.version, customerData(c))
	return true
}
