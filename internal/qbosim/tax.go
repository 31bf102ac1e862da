package qbosim

import (
	"math/big"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// applyTax taxes a priced document and completes its ledger lines and total.
//
// US companies run automated sales tax: lines carry the pseudo codes TAX or
// NON, and the tax is what TxnTaxDetail.TotalTax overrides it to (the
// simulator has no address-based rates, so without an override it is 0).
// VAT companies need GlobalTaxCalculation and a real TaxCode on every sales
// line; the tax is computed per line from the code's rate.
func (c *company) applyTax(w *write, calc *salesCalc, items []itemLine) error {
	if c.prefs.TaxModel == taxVAT {
		return c.applyVAT(w, calc, items)
	}
	for _, it := range items {
		detail := obj(it.line, "SalesItemLineDetail")
		if code := refValue(detail, "TaxCodeRef"); code != "" && code != "TAX" && code != "NON" {
			return errInvalidRef(it.elem+".SalesItemLineDetail.TaxCodeRef", "TaxCode", code)
		}
		calc.ledgerLines[it.account] += it.amount
	}
	detail := copyObject(obj(w.data, "TxnTaxDetail"))
	delete(detail, "TaxLine")
	tax, _, err := amount(detail, "TotalTax", "TxnTaxDetail.TotalTax")
	if err != nil {
		return err
	}
	if tax < 0 {
		return errBusiness("TxnTaxDetail.TotalTax cannot be negative.")
	}
	if _, err := c.resolveRef(detail, "TxnTaxCodeRef", "TaxCode", "TxnTaxDetail.TxnTaxCodeRef"); err != nil {
		return err
	}
	detail["TotalTax"] = num(tax)
	calc.tax = tax
	calc.taxDetail = detail
	calc.total = calc.subtotal - calc.discount + tax
	if tax != 0 {
		calc.ledgerLines[c.roles[roleTax]] += tax
	}
	return nil
}

// taxGroup accumulates the tax of one rate for TxnTaxDetail.TaxLine.
type taxGroup struct {
	rate    *entity
	percent string
	tax     money.Amount
	net     money.Amount
}

func (c *company) applyVAT(w *write, calc *salesCalc, items []itemLine) error {
	mode := str(w.data, "GlobalTaxCalculation")
	switch mode {
	case "TaxExcluded", "TaxInclusive", "NotApplicable":
	case "":
		return errBusiness("GlobalTaxCalculation is required when the company uses VAT: send TaxExcluded, TaxInclusive or NotApplicable.")
	default:
		return errBusiness("GlobalTaxCalculation %q is not valid: send TaxExcluded, TaxInclusive or NotApplicable.", mode)
	}
	afterDiscount := boolean(w.data, "ApplyTaxAfterDiscount", true)
	groups := map[string]*taxGroup{}
	var order []string
	for _, it := range items {
		rate, pct, err := c.lineTaxCode(it)
		if err != nil {
			return err
		}
		base := it.amount
		if afterDiscount && calc.discount != 0 && calc.subtotal != 0 {
			base -= money.Round(new(big.Rat).Mul(calc.discount.Rat(), big.NewRat(int64(it.amount), int64(calc.subtotal))))
		}
		lineTax, net := vatOn(mode, base, pct)
		calc.ledgerLines[it.account] += it.amount
		if mode == "TaxInclusive" {
			calc.ledgerLines[it.account] -= lineTax
		}
		if rate == nil || mode == "NotApplicable" {
			continue
		}
		g := groups[rate.id]
		if g == nil {
			g = &taxGroup{rate: rate, percent: pct.FloatString(2)}
			groups[rate.id] = g
			order = append(order, rate.id)
		}
		g.tax += lineTax
		g.net += net
		calc.tax += lineTax
	}
	calc.taxDetail = taxDetail(calc.tax, groups, order)
	calc.total = calc.subtotal - calc.discount
	if mode == "TaxExcluded" {
		calc.total += calc.tax
	}
	if calc.tax != 0 {
		calc.ledgerLines[c.roles[roleTax]] += calc.tax
	}
	return nil
}

// lineTaxCode resolves a VAT line's TaxCodeRef, which must name one of the
// company's tax codes, and returns its rate.
func (c *company) lineTaxCode(it itemLine) (*entity, *big.Rat, error) {
	detail := obj(it.line, "SalesItemLineDetail")
	elem := it.elem + ".SalesItemLineDetail.TaxCodeRef"
	switch v := refValue(detail, "TaxCodeRef"); v {
	case "":
		return nil, nil, errBusiness("Make sure all your transactions have a VAT rate before you save. %s has no TaxCodeRef.", it.elem)
	case "TAX", "NON":
		return nil, nil, errBusiness("%s %q is a US sales tax pseudo code; a VAT company needs the Id of one of its TaxCodes.", elem, v)
	}
	code, err := c.resolveRef(detail, "TaxCodeRef", "TaxCode", elem)
	if err != nil {
		return nil, nil, err
	}
	detail["TaxCodeRef"] = map[string]any{"value": code.id}
	rate, pct := c.salesRate(code)
	return rate, pct, nil
}

// vatOn returns the tax on a line's taxable base and the net amount taxed:
// added on top when tax is excluded, carved out when included.
func vatOn(mode string, base money.Amount, pct *big.Rat) (tax, net money.Amount) {
	switch mode {
	case "TaxExcluded":
		return base.MulRat(new(big.Rat).Quo(pct, big.NewRat(100, 1))), base
	case "TaxInclusive":
		tax = base.MulRat(new(big.Rat).Quo(pct, new(big.Rat).Add(pct, big.NewRat(100, 1))))
		return tax, base - tax
	}
	return 0, base
}

// taxDetail renders TxnTaxDetail with one TaxLine per rate.
func taxDetail(total money.Amount, groups map[string]*taxGroup, order []string) map[string]any {
	detail := map[string]any{"TotalTax": num(total)}
	var lines []any
	for _, id := range order {
		g := groups[id]
		lines = append(lines, map[string]any{
			"Amount":     num(g.tax),
			"DetailType": "TaxLineDetail",
			"TaxLineDetail": map[string]any{
				"TaxRateRef":       ref(g.rate.id, str(g.rate.data, "Name")),
				"PercentBased":     true,
				"TaxPercent":       jsonNumber(g.percent),
				"NetAmountTaxable": num(g.net),
			},
		})
	}
	if lines != nil {
		detail["TaxLine"] = lines
	}
	return detail
}

// salesRate returns the first sales rate of a tax code and its percentage;
// a code without rates (the US pseudo codes) taxes at 0 with no rate.
func (c *company) salesRate(code *entity) (*entity, *big.Rat) {
	details := list(obj(code.data, "SalesTaxRateList"), "TaxRateDetail")
	if len(details) == 0 {
		return nil, new(big.Rat)
	}
	d, _ := details[0].(map[string]any)
	rate := c.get("TaxRate", refValue(d, "TaxRateRef"))
	if rate == nil {
		return nil, new(big.Rat)
	}
	text, _ := numberText(rate.data, "RateValue")
	pct, err := money.ParseRat(text)
	if err != nil {
		return nil, new(big.Rat)
	}
	return rate, pct
}
