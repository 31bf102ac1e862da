package e2e

import (
	"slices"

	"github.com/qbosync/qbosync/internal/billing"
)

// Credits, charge reversals, write-offs and refunds of the billing model.

func (m *billingModel) newCredit(c *modelCustomer) bool {
	cr := &modelCredit{kind: billing.KindCredit, id: m.newID("cr"), customer: c.id, date: m.date(), version: 1,
		amount: m.between(5, 80) * 100, reason: "Goodwill credit"}
	if m.rng.IntN(5) < 2 {
		half := m.between(1, cr.amount-1)
		cr.lines = []creditLineModel{
			{description: "Service credit", product: m.products[0].id, amount: half},
			{description: "Seat credit", product: m.products[1].id, amount: cr.amount - half},
		}
	}
	if m.rng.IntN(5) < 3 {
		cr.apps = m.applyTo(c, cr.amount, func(string) bool { return false })
	}
	m.credits = append(m.credits, cr)
	m.emit(billing.KindCredit, billing.ActionCreated, cr.id, cr.version, creditData(cr))
	m.settle()
	return true
}

func (m *billingModel) reapplyCredit(c *modelCustomer) bool {
	cr, ok := pick(m, m.liveCredits(c, billing.KindCredit))
	if !ok {
		return false
	}
	had := len(cr.apps) > 0
	if !m.reapply(c, &cr.apps, cr.amount-sum(cr.apps)) {
		return false
	}
	if had && len(cr.apps) == 0 {
		cr.emptied++
	}
	cr.version++
	m.emit(billing.KindCredit, billing.ActionUpdated, cr.id, cr.version, creditData(cr))
	m.settle()
	return true
}

func (m *billingModel) liveCredits(c *modelCustomer, kinds ...billing.Kind) []*modelCredit {
	var out []*modelCredit
	for _, cr := range m.credits {
		if cr.customer == c.id && !cr.voided && slices.Contains(kinds, cr.kind) {
			out = append(out, cr)
		}
	}
	return out
}

// againstInvoice reverses part of an invoice's charge or writes off
// (usually all of) what is still due on it.
func (m *billingModel) againstInvoice(c *modelCustomer, kind billing.Kind) bool {
	v, ok := pick(m, m.open(c))
	if !ok {
		return false
	}
	cr := &modelCredit{kind: kind, customer: c.id, invoice: v.id, date: m.date(), version: 1}
	switch kind {
	case billing.KindChargeReversal:
		cr.id, cr.reason, cr.amount = m.newID("rev"), "Charge reversed", m.between(1, m.due(v))
		if l, ok := pick(m, v.lines); ok && m.rng.IntN(2) == 0 {
			cr.line = l.id
		}
	default:
		cr.id, cr.reason, cr.amount = m.newID("wo"), "Uncollectible", m.due(v)
		if m.rng.IntN(4) == 0 {
			cr.amount = m.between(1, m.due(v))
		}
	}
	cr.apps = []application{{invoice: v.id, amount: cr.amount}}
	m.credits = append(m.credits, cr)
	m.emit(kind, billing.ActionCreated, cr.id, cr.version, creditData(cr))
	m.settle()
	return true
}

func (m *billingModel) voidCredit(c *modelCustomer) bool {
	cr, ok := pick(m, m.liveCredits(c, billing.KindCredit, billing.KindChargeReversal, billing.KindWriteOff))
	if !ok {
		return false
	}
	cr.voided = true
	if len(cr.apps) > 0 {
		cr.emptied++
	}
	cr.version++
	m.emit(cr.kind, billing.ActionVoided, cr.id, cr.version, creditData(cr))
	m.settle()
	return true
}

// newRefund returns money from what a payment still holds.
func (m *billingModel) newRefund(c *modelCustomer) bool {
	var candidates []*modelPayment
	for _, p := range m.livePayments(c) {
		if m.free(p) > 0 {
			candidates = append(candidates, p)
		}
	}
	p, ok := pick(m, candidates)
	if !ok {
		return false
	}
	r := &modelRefund{id: m.newID("ref"), customer: c.id, payment: p.id, date: m.date(), version: 1,
		amount: m.between(1, m.free(p))}
	m.refunds = append(m.refunds, r)
	m.emit(billing.KindRefund, billing.ActionCreated, r.id, r.version, refundData(r))
	return true
}

func (m *billingModel) voidRefund(c *modelCustomer) bool {
	var live []*modelRefund
	for _, r := range m.refunds {
		if r.customer == c.id && !r.voided {
			live = append(live, r)
		}
	}
	r, ok := pick(m, live)
	if !ok {
		return false
	}
	r.voided = true
	r.version++
	m.emit(billing.KindRefund, billing.ActionVoided, r.id, r.version, refundData(r))
	return true
}
