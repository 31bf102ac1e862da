package e2e

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
)

// billingModel is a billing system in miniature: it keeps one tenant's
// customers, products and documents, changes them the way a billing
// system does, and writes down every change as the webhook event it would
// send. Every snapshot it sends is consistent: an invoice's amount_due is
// always its total less what live payments, credits, reversals and
// write-offs apply to it, re-sent with a higher version whenever it moves.
type billingModel struct {
	rng    *rand.Rand
	tenant string
	day    int // days after historyStart of the next document
	next   map[string]int
	events []billingEvent

	customers []*modelCustomer
	products  []*modelProduct
	invoices  []*modelInvoice
	payments  []*modelPayment
	credits   []*modelCredit // credits, charge reversals and write-offs
	refunds   []*modelRefund // of payments and of sales
	sales     []*modelSale
}

// billingEvent is one webhook event as the billing system first sends it.
type billingEvent struct {
	ID      string
	Type    string
	Kind    billing.Kind
	Entity  string
	Version int
	Data    map[string]any
}

var historyStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

type modelCustomer struct {
	id, name, email string
	version         int
}

type modelProduct struct {
	id, name string
}

type modelLine struct {
	id, product         string
	qty                 int64
	unit, discount, tax int64
}

func (l modelLine) amount() int64 { return l.qty * l.unit }

type modelInvoice struct {
	id, customer, number, date string
	version                    int
	status                     string // draft, posted, paid, voided
	lines                      []modelLine
	// everApplied: something was applied once; billing no longer lets
	// the lines change.
	everApplied bool
	// sentDue and sentStatus are what the last snapshot said.
	sentDue    int64
	sentStatus string
}

func (v *modelInvoice) total() int64 {
	var t int64
	for _, l := range v.lines {
		t += l.amount() - l.discount + l.tax
	}
	return t
}

type application struct {
	invoice string
	amount  int64
}

type modelPayment struct {
	id, customer, date, method, reference string
	version                               int
	amount                                int64
	apps                                  []application
	voided                                bool
}

type creditLineModel struct {
	description, product string
	amount               int64
}

// modelCredit is a credit note, a charge reversal or a write-off: all
// three reduce what invoices owe by their applications.
type modelCredit struct {
	kind                       billing.Kind
	id, customer, date, reason string
	invoice, line              string // charge reversals and write-offs
	version                    int
	amount                     int64
	lines                      []creditLineModel
	apps                       []application
	voided                     bool
	// emptied counts the times its applications went away (taken back
	// or voided): each may void one application payment in QuickBooks.
	emptied int
}

type modelRefund struct {
	id, customer, payment, date string
	sale                        string // set for a refund of a sale, instead of payment
	version                     int
	amount                      int64
	voided                      bool
}

func newBillingModel(tenant string, rng *rand.Rand) *billingModel {
	return &billingModel{rng: rng, tenant: tenant, next: map[string]int{}}
}

// newID returns the next id with prefix, unique within the tenant.
func (m *billingModel) newID(prefix string) string {
	m.next[prefix]++
	return fmt.Sprintf("%s_%d", prefix, m.next[prefix])
}

// date returns the accounting date of a new document; time moves on now
// and then, never past the history's last day.
func (m *billingModel) date() string {
	if m.rng.IntN(3) == 0 && m.day < 300 {
		m.day++
	}
	return historyStart.AddDate(0, 0, m.day).Format(time.DateOnly)
}

func (m *billingModel) emit(kind billing.Kind, action, id string, version int, data map[string]any) {
	m.events = append(m.events, billingEvent{
		ID:   fmt.Sprintf("evt_%s_%d", m.tenant, len(m.events)+1),
		Type: string(kind) + "." + action, Kind: kind, Entity: id, Version: version, Data: data,
	})
}

// applied is what live documents apply to invoice id.
func (m *billingModel) applied(id string) int64 {
	var n int64
	for _, p := range m.payments {
		if !p.voided {
			n += appliedTo(p.apps, id)
		}
	}
	for _, c := range m.credits {
		if !c.voided {
			n += appliedTo(c.apps, id)
		}
	}
	return n
}

func appliedTo(apps []application, id string) int64 {
	var n int64
	for _, a := range apps {
		if a.invoice == id {
			n += a.amount
		}
	}
	return n
}

func sum(apps []application) int64 {
	var n int64
	for _, a := range apps {
		n += a.amount
	}
	return n
}

// due is the invoice's amount_due as billing computes it.
func (m *billingModel) due(v *modelInvoice) int64 {
	switch v.status {
	case "voided":
		return 0
	case "draft":
		return v.total()
	}
	return v.total() - m.applied(v.id)
}

// statusOf is the invoice's status once its amount due is known.
func (m *billingModel) statusOf(v *modelInvoice) string {
	if v.status == "draft" || v.status == "voided" {
		return v.status
	}
	if m.due(v) == 0 {
		return "paid"
	}
	return "posted"
}

// free is what a payment still holds: neither applied nor refunded.
func (m *billingModel) free(p *modelPayment) int64 {
	n := p.amount - sum(p.apps)
	for _, r := range m.refunds {
		if r.payment == p.id && !r.voided {
			n -= r.amount
		}
	}
	return n
}

// settle re-sends every invoice whose amount_due or status moved, as a
// billing system announces a changed balance.
func (m *billingModel) settle() {
	for _, v := range m.invoices {
		if v.status == "draft" || v.status == "voided" {
			continue
		}
		v.status = m.statusOf(v)
		if due := m.due(v); due != v.sentDue || v.status != v.sentStatus {
			if due != v.total() {
				v.everApplied = true
			}
			m.sendInvoice(v, billing.ActionUpdated)
		}
	}
}

func (m *billingModel) sendInvoice(v *modelInvoice, action string) {
	v.version++
	v.sentDue, v.sentStatus = m.due(v), v.status
	m.emit(billing.KindInvoice, action, v.id, v.version, m.invoiceData(v))
}

func (m *billingModel) invoiceData(v *modelInvoice) map[string]any {
	lines := make([]map[string]any, 0, len(v.lines))
	var subtotal, discount, tax int64
	for _, l := range v.lines {
		d := map[string]any{"id": l.id, "description": "Line " + l.id, "quantity": strconv.FormatInt(l.qty, 10),
			"unit_amount": l.unit, "amount": l.amount(), "discount_amount": l.discount, "tax_amount": l.tax}
		if l.product != "" {
			d["product_id"] = l.product
		}
		lines = append(lines, d)
		subtotal, discount, tax = subtotal+l.amount(), discount+l.discount, tax+l.tax
	}
	due := date(v.date).AddDate(0, 0, 30).Format(time.DateOnly)
	return map[string]any{"id": v.id, "version": v.version, "customer_id": v.customer, "number": v.number,
		"status": v.status, "issued_on": v.date, "due_on": due, "currency": "USD", "lines": lines,
		"subtotal": subtotal, "discount_total": discount, "tax_total": tax, "total": v.total(),
		"amount_due": m.due(v)}
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err) // the model only writes dates it formatted itself
	}
	return d
}

func applicationsData(apps []application) []map[string]any {
	out := make([]map[string]any, 0, len(apps))
	for _, a := range apps {
		out = append(out, map[string]any{"invoice_id": a.invoice, "amount": a.amount})
	}
	return out
}

func customerData(c *modelCustomer) map[string]any {
	return map[string]any{"id": c.id, "version": c.version, "display_name": c.name, "email": c.email, "currency": "USD"}
}

func paymentData(p *modelPayment) map[string]any {
	return map[string]any{"id": p.id, "version": p.version, "customer_id": p.customer, "received_on": p.date,
		"amount": p.amount, "currency": "USD", "method": p.method, "reference": p.reference,
		"applications": applicationsData(p.apps)}
}

func creditData(c *modelCredit) map[string]any {
	d := map[string]any{"id": c.id, "version": c.version, "customer_id": c.customer, "amount": c.amount,
		"currency": "USD", "reason": c.reason}
	switch c.kind {
	case billing.KindCredit:
		d["issued_on"], d["applications"] = c.date, applicationsData(c.apps)
		if len(c.lines) > 0 {
			var ls []map[string]any
			for _, l := range c.lines {
				ls = append(ls, map[string]any{"description": l.description, "amount": l.amount, "product_id": l.product})
			}
			d["lines"] = ls
		}
	case billing.KindChargeReversal:
		d["invoice_id"], d["reversed_on"] = c.invoice, c.date
		if c.line != "" {
			d["line_id"] = c.line
		}
	case billing.KindWriteOff:
		d["invoice_id"], d["written_off_on"] = c.invoice, c.date
	}
	return d
}

func refundData(r *modelRefund) map[string]any {
	d := map[string]any{"id": r.id, "version": r.version, "customer_id": r.customer, "payment_id": r.payment,
		"refunded_on": r.date, "amount": r.amount, "currency": "USD"}
	if r.sale != "" {
		delete(d, "payment_id")
		d["sale_id"] = r.sale
	}
	return d
}
