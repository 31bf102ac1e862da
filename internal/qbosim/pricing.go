package qbosim

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// salesCalc is a priced sales document.
type salesCalc struct {
	lines       []any
	subtotal    money.Amount
	discount    money.Amount
	tax         money.Amount
	total       money.Amount
	ledgerLines map[string]money.Amount // by account: income +, discount -, tax +
	taxDetail   map[string]any
}

// itemLine is a SalesItemLineDetail line being priced.
type itemLine struct {
	line    map[string]any
	elem    string
	amount  money.Amount
	account string
}

// priceLines validates the lines of a sales document and computes its
// subtotal, discount, tax and total. QuickBooks recomputes the SubTotal line
// itself, so any sent is dropped and a fresh one appended.
func (c *company) priceLines(w *write) (*salesCalc, error) {
	raw := list(w.data, "Line")
	if len(raw) == 0 {
		return nil, errRequired("Line")
	}
	ids := newLineIDs(w.old)
	calc := &salesCalc{ledgerLines: make(map[string]money.Amount)}
	var items []itemLine
	var discountLine map[string]any
	for i, l := range raw {
		line, ok := l.(map[string]any)
		elem := fmt.Sprintf("Line[%d]", i)
		if !ok {
			return nil, errMalformed(elem + " must be an object")
		}
		dt, err := salesLineType(line, elem, w.kind.name)
		if err != nil {
			return nil, err
		}
		switch dt {
		case "SubTotalLineDetail":
			continue
		case "SalesItemLineDetail":
			it, err := c.itemLine(line, elem)
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			calc.subtotal += it.amount
		case "DiscountLineDetail":
			if discountLine != nil {
				return nil, errBusiness("Only one discount line is allowed on a %s.", w.kind.name)
			}
			discountLine = line
		}
		ids.assign(line, w.old != nil)
		calc.lines = append(calc.lines, line)
	}
	discAcct, err := c.discount(calc, discountLine)
	if err != nil {
		return nil, err
	}
	if calc.discount != 0 {
		calc.ledgerLines[discAcct] -= calc.discount
	}
	if err := c.applyTax(w, calc, items); err != nil {
		return nil, err
	}
	for i, l := range calc.lines {
		l.(map[string]any)["LineNum"] = jsonNumber(strconv.Itoa(i + 1))
	}
	calc.lines = append(calc.lines, map[string]any{
		"Amount": num(calc.subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": map[string]any{},
	})
	return calc, nil
}

// salesLineType checks a sales line's DetailType.
func salesLineType(line map[string]any, elem, kindName string) (string, error) {
	switch dt := str(line, "DetailType"); dt {
	case "":
		return "", errRequired(elem + ".DetailType")
	case "SubTotalLineDetail", "SalesItemLineDetail", "DescriptionOnly", "DiscountLineDetail":
		return dt, nil
	case "GroupLineDetail":
		return "", errBusiness("GroupLineDetail lines (bundles) are not supported.")
	default:
		return "", errBusiness("%s.DetailType %q is not valid on a %s.", elem, dt, kindName)
	}
}

// itemLine validates one SalesItemLineDetail line: its item (the company's
// default item when ItemRef is absent) must exist and be active, and Amount
// must equal Qty × UnitPrice when both are given.
func (c *company) itemLine(line map[string]any, elem string) (itemLine, error) {
	amt, ok, err := amount(line, "Amount", elem+".Amount")
	if err != nil {
		return itemLine{}, err
	}
	if !ok {
		return itemLine{}, errRequired(elem + ".Amount")
	}
	line["Amount"] = num(amt)
	detail := obj(line, "SalesItemLineDetail")
	if detail == nil {
		detail = map[string]any{}
		line["SalesItemLineDetail"] = detail
	}
	if refValue(detail, "ItemRef") == "" {
		detail["ItemRef"] = ref(c.roles[roleDefaultItem], "")
	}
	item, err := c.resolveRef(detail, "ItemRef", "Item", elem+".SalesItemLineDetail.ItemRef")
	if err != nil {
		return itemLine{}, err
	}
	if _, err := c.resolveRef(item.data, "IncomeAccountRef", "Account", "ItemRef.IncomeAccountRef"); err != nil {
		return itemLine{}, err
	}
	qty, hasQty := numberText(detail, "Qty")
	price, hasPrice := numberText(detail, "UnitPrice")
	if hasQty && hasPrice {
		q, errQ := money.ParseRat(qty)
		p, errP := money.ParseRat(price)
		if errQ != nil || errP != nil {
			return itemLine{}, errBusiness("%s has an invalid Qty or UnitPrice.", elem)
		}
		if money.Round(new(big.Rat).Mul(q, p)) != amt {
			return itemLine{}, errAmountMismatch(amt.String())
		}
	}
	return itemLine{line: line, elem: elem, amount: amt, account: refValue(item.data, "IncomeAccountRef")}, nil
}

// discount prices the discount line, percent-based or fixed, and returns the
// account it posts to (Discounts given unless DiscountAccountRef says).
func (c *company) discount(calc *salesCalc, line map[string]any) (string, error) {
	if line == nil {
		return "", nil
	}
	detail := obj(line, "DiscountLineDetail")
	if detail == nil {
		detail = map[string]any{}
		line["DiscountLineDetail"] = detail
	}
	var amt money.Amount
	if boolean(detail, "PercentBased", false) {
		text, ok := numberText(detail, "DiscountPercent")
		if !ok {
			return "", errRequired("DiscountLineDetail.DiscountPercent")
		}
		pct, err := money.ParseRat(text)
		if err != nil {
			return "", errBusiness("DiscountPercent %q is not a number.", text)
		}
		amt = calc.subtotal.MulRat(new(big.Rat).Quo(pct, big.NewRat(100, 1)))
	} else {
		a, ok, err := amount(line, "Amount", "DiscountLine.Amount")
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errRequired("DiscountLine.Amount")
		}
		amt = a
	}
	if amt < 0 || amt > calc.subtotal {
		return "", errBusiness("The discount (%s) must be between 0 and the subtotal (%s).", amt, calc.subtotal)
	}
	line["Amount"] = num(amt)
	calc.discount = amt
	acct, err := c.resolveRef(detail, "DiscountAccountRef", "Account", "DiscountLineDetail.DiscountAccountRef")
	if err != nil {
		return "", err
	}
	if acct == nil {
		id := c.roles[roleDiscounts]
		detail["DiscountAccountRef"] = ref(id, c.get("Account", id).displayName())
		return id, nil
	}
	return acct.id, nil
}

// lineIDs numbers lines: an update keeps the Id of a line that already
// exists, every other line gets the next free number.
type lineIDs struct {
	old  map[string]bool
	used map[string]bool
	next int
}

func newLineIDs(old *entity) *lineIDs {
	ids := &lineIDs{old: map[string]bool{}, used: map[string]bool{}, next: 1}
	if old == nil {
		return ids
	}
	for _, l := range list(old.data, "Line") {
		id := idText(l.(map[string]any)["Id"])
		if n, err := strconv.Atoi(id); err == nil {
			ids.old[id] = true
			ids.next = max(ids.next, n+1)
		}
	}
	return ids
}

func (ids *lineIDs) assign(line map[string]any, update bool) {
	id := idText(line["Id"])
	if update && ids.old[id] && !ids.used[id] {
		ids.used[id] = true
		return
	}
	id = strconv.Itoa(ids.next)
	ids.next++
	ids.used[id] = true
	line["Id"] = id
}
