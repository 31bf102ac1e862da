package billing

import (
	"fmt"
	"strings"
)

// checkEntity applies the rules that relate several fields of a decoded
// snapshot. Rules whose inputs already have a problem are skipped: their
// verdict would only repeat it.
func checkEntity(p *problems, path string, ent Entity) {
	switch v := join(path, "version"); {
	case p.has(v):
	case ent.EntityVersion() < 1:
		p.add(v, "must be 1 or more")
	case ent.EntityVersion() > MaxVersion:
		p.add(v, "must be at most %d, the largest integer every JSON parser keeps exactly", int64(MaxVersion))
	}
	switch e := ent.(type) {
	case *Customer:
		if e.ParentID != "" && e.ParentID == e.ID {
			p.add(join(path, "parent_id"), "must not be the customer's own id")
		}
	case *Invoice:
		checkInvoice(p, path, e)
	case *Payment:
		checkApplications(p, path, "payment", e.Amount, e.Applications)
	case *Credit:
		checkApplications(p, path, "credit", e.Amount, e.Applications)
		checkCreditLines(p, path, e)
	case *Refund:
		checkRefundSource(p, path, e)
	case *Sale:
		checkSale(p, path, e)
	}
}

// checkRefundSource: a refund returns money from one payment or one sale.
func checkRefundSource(p *problems, path string, f *Refund) {
	pay, sale := join(path, "payment_id"), join(path, "sale_id")
	if p.has(pay, sale) {
		return
	}
	switch {
	case f.PaymentID == "" && f.SaleID == "":
		p.add(pay, "names the payment the money came from; a refund needs payment_id or sale_id")
	case f.PaymentID != "" && f.SaleID != "":
		p.add(sale, "names a sale as well as payment_id; a refund needs payment_id or sale_id, not both")
	}
}

// checkSale holds a sale's lines and totals to an invoice's rules (fully
// paid: nothing is due) and its exchange rate above zero.
func checkSale(p *problems, path string, s *Sale) {
	checkInvoice(p, path, &Invoice{Status: InvoicePaid, Lines: s.Lines, Subtotal: s.Subtotal,
		DiscountTotal: s.DiscountTotal, TaxTotal: s.TaxTotal, Total: s.Total})
	rate := join(path, "exchange_rate")
	if !p.has(rate) && s.ExchangeRate != "" && strings.Trim(string(s.ExchangeRate), "0.") == "" {
		p.add(rate, "must be more than 0")
	}
}

func checkInvoice(p *problems, path string, v *Invoice) {
	lines := join(path, "lines")
	if !p.has(lines) && len(v.Lines) == 0 {
		p.add(lines, "must have at least one line (QuickBooks refuses an invoice without lines)")
	}
	seen := map[string]int{}
	for i, l := range v.Lines {
		lp := index(lines, i)
		if j, dup := seen[l.ID]; dup && l.ID != "" {
			p.add(join(lp, "id"), "repeats the id of %s", index(lines, j))
		}
		seen[l.ID] = i
		if p.has(join(lp, "quantity"), join(lp, "unit_amount"), join(lp, "amount")) {
			continue
		}
		want, err := l.Quantity.MulAmount(l.UnitAmount)
		switch {
		case err != nil:
			p.add(join(lp, "amount"), "quantity × unit_amount is out of range")
		case l.Amount != want:
			p.add(join(lp, "amount"), "must be round(quantity × unit_amount) = %d (halves round away from zero), not %d", want, l.Amount)
		}
	}
	checkInvoiceTotals(p, path, v)
}

// checkInvoiceTotals: the totals are the sums of the lines, and what is
// due lies between nothing and the total.
func checkInvoiceTotals(p *problems, path string, v *Invoice) {
	lines := join(path, "lines")
	sum := func(name string, get func(InvoiceLine) int64) (int64, bool) {
		if p.at(lines) {
			return 0, false
		}
		var s int64
		for i, l := range v.Lines {
			if p.has(join(index(lines, i), name)) {
				return 0, false
			}
			s += get(l)
		}
		return s, true
	}
	total := func(field, line string, got int64, get func(InvoiceLine) int64) {
		fp := join(path, field)
		if s, ok := sum(line, get); ok && !p.has(fp) && got != s {
			p.add(fp, "must be the sum of lines[].%s = %d, not %d", line, s, got)
		}
	}
	total("subtotal", "amount", v.Subtotal, func(l InvoiceLine) int64 { return l.Amount })
	total("discount_total", "discount_amount", v.DiscountTotal, func(l InvoiceLine) int64 { return l.DiscountAmount })
	total("tax_total", "tax_amount", v.TaxTotal, func(l InvoiceLine) int64 { return l.TaxAmount })

	f := func(name string) string { return join(path, name) }
	if !p.has(f("subtotal"), f("discount_total"), f("tax_total"), f("total")) {
		if want := v.Subtotal - v.DiscountTotal + v.TaxTotal; v.Total != want {
			p.add(f("total"), "must be subtotal - discount_total + tax_total = %d, not %d", want, v.Total)
		}
	}
	if !p.has(f("amount_due"), f("total")) && v.AmountDue > v.Total {
		p.add(f("amount_due"), "must not exceed total (%d)", v.Total)
	}
	if !p.has(f("amount_due"), f("status")) && v.Status == InvoicePaid && v.AmountDue != 0 {
		p.add(f("amount_due"), "must be 0 when status is paid")
	}
}

// checkApplications: each invoice at most once, and no more applied than
// the document's amount (the rest stays as credit for the customer).
func checkApplications(p *problems, path, what string, amount int64, apps []Application) {
	ap := join(path, "applications")
	seen := map[string]int{}
	var sum int64
	for i, a := range apps {
		if j, dup := seen[a.InvoiceID]; dup && a.InvoiceID != "" {
			p.add(join(index(ap, i), "invoice_id"), "repeats %s; apply to each invoice once", index(ap, j))
		}
		seen[a.InvoiceID] = i
		sum += a.Amount
	}
	if !p.has(ap, join(path, "amount")) && sum > amount {
		p.add(ap, "%s", fmt.Sprintf("amounts add up to %d, more than the %s's amount %d", sum, what, amount))
	}
}

// checkCreditLines: when a credit note itemises, its lines add up to it.
func checkCreditLines(p *problems, path string, c *Credit) {
	lp := join(path, "lines")
	if len(c.Lines) == 0 || p.has(lp, join(path, "amount")) {
		return
	}
	var sum int64
	for _, l := range c.Lines {
		sum += l.Amount
	}
	if sum != c.Amount {
		p.add(lp, "amounts add up to %d; they must add up to the credit's amount %d", sum, c.Amount)
	}
}
