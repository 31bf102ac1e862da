package e2e

import (
	"strconv"

	"github.com/qbosync/qbosync/internal/billing"
)

// modelSale is money received without an invoice: the deposit ledger
// takes its total, and nothing reaches the customer's A/R.
type modelSale struct {
	id, customer, date string
	version            int
	lines              []modelLine
	voided             bool
}

func (s *modelSale) total() int64 {
	var t int64
	for _, l := range s.lines {
		t += l.amount() - l.discount + l.tax
	}
	return t
}

func (m *billingModel) newSale(c *modelCustomer) bool {
	s := &modelSale{id: m.newID("sale"), customer: c.id, date: m.date(), version: 1, lines: m.lines()}
	if s.total() <= 0 {
		return false
	}
	m.sales = append(m.sales, s)
	m.emit(billing.KindSale, billing.ActionCreated, s.id, s.version, saleData(s))
	return true
}

// refundable is what a sale still holds: its total less its live refunds.
func (m *billingModel) refundable(s *modelSale) int64 {
	n := s.total()
	for _, r := range m.refunds {
		if r.sale == s.id && !r.voided {
			n -= r.amount
		}
	}
	return n
}

func (m *billingModel) liveSales(c *modelCustomer, ok func(*modelSale) bool) []*modelSale {
	var out []*modelSale
	for _, s := range m.sales {
		if s.customer == c.id && !s.voided && ok(s) {
			out = append(out, s)
		}
	}
	return out
}

func (m *billingModel) refundSale(c *modelCustomer) bool {
	s, ok := pick(m, m.liveSales(c, func(s *modelSale) bool { return m.refundable(s) > 0 }))
	if !ok {
		return false
	}
	r := &modelRefund{id: m.newID("ref"), customer: c.id, sale: s.id, date: m.date(), version: 1,
		amount: m.between(1, m.refundable(s))}
	m.refunds = append(m.refunds, r)
	m.emit(billing.KindRefund, billing.ActionCreated, r.id, r.version, refundData(r))
	return true
}

// voidSale voids a sale nothing was refunded from, as billing only lets
// a sale go once its refunds have.
func (m *billingModel) voidSale(c *modelCustomer) bool {
	s, ok := pick(m, m.liveSales(c, func(s *modelSale) bool { return m.refundable(s) == s.total() }))
	if !ok {
		return false
	}
	s.voided = true
	s.version++
	m.emit(billing.KindSale, billing.ActionVoided, s.id, s.version, saleData(s))
	return true
}

func saleData(s *modelSale) map[string]any {
	lines := make([]map[string]any, 0, len(s.lines))
	var subtotal, discount, tax int64
	for _, l := range s.lines {
		d := map[string]any{"id": l.id, "description": "Line " + l.id, "quantity": strconv.FormatInt(l.qty, 10),
			"unit_amount": l.unit, "amount": l.amount(), "discount_amount": l.discount, "tax_amount": l.tax}
		if l.product != "" {
			d["product_id"] = l.product
		}
		lines = append(lines, d)
		subtotal, discount, tax = subtotal+l.amount(), discount+l.discount, tax+l.tax
	}
	return map[string]any{"id": s.id, "version": s.version, "customer_id": s.customer, "paid_on": s.date,
		"currency": "USD", "payment_method": "card", "lines": lines,
		"subtotal": subtotal, "discount_total": discount, "tax_total": tax, "total": s.total()}
}
