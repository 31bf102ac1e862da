package qbofake

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/qbosync/qbosync/internal/qbo"
)

// cond is one "Field = value" or "Field IN (values)" of a WHERE clause.
type cond struct {
	field  string
	values []token
}

type token struct {
	text    string
	literal bool // a quoted string
}

// nameLists are the entities whose inactive records a query leaves out
// unless it asks for them.
var nameLists = map[string]bool{"Customer": true, "Item": true, "Account": true, "PaymentMethod": true}

// query answers "SELECT * FROM Name [WHERE c AND c ...] [STARTPOSITION n]
// [MAXRESULTS m]", the statements the engine sends.
func (c *Company) query(stmt string) (int, qbo.Envelope) {
	toks := tokens(stmt)
	if len(toks) < 4 || !keyword(toks[0], "select") || toks[1].text != "*" || !keyword(toks[2], "from") {
		return faultAnswer("ValidationFault", "4000", "Error parsing query", stmt)
	}
	name, rest := entity(toks[3].text), toks[4:]
	conds, start, max, err := clauses(rest)
	if err != nil {
		return faultAnswer("ValidationFault", "4000", "Error parsing query", err.Error())
	}
	var found []object
	for _, o := range c.objects[name] {
		if matches(name, o, conds) {
			found = append(found, o)
		}
	}
	slices.SortFunc(found, func(a, b object) int { return cmpID(a["Id"].(string), b["Id"].(string)) })
	if start > len(found) {
		found = nil
	} else {
		found = found[start-1:]
	}
	if len(found) > max {
		found = found[:max]
	}
	resp := map[string]any{}
	if len(found) > 0 {
		resp[name], resp["startPosition"], resp["maxResults"] = found, start, len(found)
	}
	return envelope("QueryResponse", resp)
}

func clauses(toks []token) (conds []cond, start, max int, err error) {
	start, max = 1, 100
	i := 0
	if i < len(toks) && keyword(toks[i], "where") {
		for i++; ; i++ {
			var c cond
			if c, i, err = parseCond(toks, i); err != nil {
				return nil, 0, 0, err
			}
			conds = append(conds, c)
			if i >= len(toks) || !keyword(toks[i], "and") {
				break
			}
		}
	}
	for ; i+1 < len(toks); i += 2 {
		n, err := strconv.Atoi(toks[i+1].text)
		switch {
		case err != nil:
			return nil, 0, 0, fmt.Errorf("bad number %q", toks[i+1].text)
		case keyword(toks[i], "startposition"):
			start = n
		case keyword(toks[i], "maxresults"):
			max = n
		default:
			return nil, 0, 0, fmt.Errorf("unexpected %q", toks[i].text)
		}
	}
	if i != len(toks) {
		return nil, 0, 0, fmt.Errorf("unexpected %q", toks[i].text)
	}
	return conds, start, max, nil
}

func parseCond(toks []token, i int) (cond, int, error) {
	if i+2 >= len(toks) {
		return cond{}, i, fmt.Errorf("incomplete condition")
	}
	c := cond{field: toks[i].text}
	switch op := toks[i+1]; {
	case op.text == "=":
		c.values = []token{toks[i+2]}
		return c, i + 3, nil
	case keyword(op, "in") && toks[i+2].text == "(":
		for j := i + 3; j < len(toks); j++ {
			switch toks[j].text {
			case ",":
			case ")":
				if !toks[j].literal {
					return c, j + 1, nil
				}
				c.values = append(c.values, toks[j])
			default:
				c.values = append(c.values, toks[j])
			}
		}
	}
	return cond{}, i, fmt.Errorf("unsupported condition at %q", toks[i].text)
}

func matches(name string, o object, conds []cond) bool {
	active := false
	for _, c := range conds {
		if strings.EqualFold(c.field, "Active") {
			active = true
		}
		if !slices.ContainsFunc(c.values, func(v token) bool { return equal(member(o, c.field), v) }) {
			return false
		}
	}
	return active || !nameLists[name] || o["Active"] != false
}

// member is the field's value as a query compares it: a reference by its
// value, a missing Active as true.
func member(o object, field string) any {
	for k, v := range o {
		if strings.EqualFold(k, field) {
			if ref, ok := v.(map[string]any); ok {
				return ref["value"]
			}
			return v
		}
	}
	if strings.EqualFold(field, "Active") {
		return true
	}
	return nil
}

func equal(v any, t token) bool {
	if b, ok := v.(bool); ok && !t.literal {
		return strconv.FormatBool(b) == strings.ToLower(t.text)
	}
	if n, ok := v.(json.Number); ok {
		x, okx := new(big.Rat).SetString(n.String())
		y, oky := new(big.Rat).SetString(t.text)
		return okx && oky && x.Cmp(y) == 0
	}
	s, ok := v.(string)
	return ok && strings.EqualFold(s, t.text)
}

func keyword(t token, word string) bool { return !t.literal && strings.EqualFold(t.text, word) }

// tokens splits a statement into words, punctuation and quoted literals
// (with QuickBooks' backslash escapes undone).
func tokens(stmt string) []token {
	var out []token
	rs := []rune(stmt)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == ' ' || r == '\t' || r == '\n':
		case r == '\'':
			var b strings.Builder
			for i++; i < len(rs) && rs[i] != '\''; i++ {
				if rs[i] == '\\' && i+1 < len(rs) {
					i++
				}
				b.WriteRune(rs[i])
			}
			out = append(out, token{text: b.String(), literal: true})
		case strings.ContainsRune("(),=*", r):
			out = append(out, token{text: string(r)})
		default:
			j := i
			for j < len(rs) && !strings.ContainsRune(" \t\n(),='", rs[j]) {
				j++
			}
			out = append(out, token{text: string(rs[i:j])})
			i = j - 1
		}
	}
	return out
}

// total sets what QuickBooks computes of a transaction: TotalAmt from
// the lines and tax, Balance, RemainingCredit, a payment's UnappliedAmt.
func total(name string, o object) {
	switch name {
	case "Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt":
		sum, scale := new(big.Rat), 0
		for _, l := range lines(o) {
			amt, s := decimal(l["Amount"])
			scale = max(scale, s)
			switch l["DetailType"] {
			case qbo.SalesItemLine:
				sum.Add(sum, amt)
			case qbo.DiscountLine:
				sum.Sub(sum, amt)
			}
		}
		if tax, ok := o["TxnTaxDetail"].(map[string]any); ok {
			amt, s := decimal(tax["TotalTax"])
			sum.Add(sum, amt)
			scale = max(scale, s)
		}
		t := json.Number(sum.FloatString(scale))
		o["TotalAmt"] = t
		switch name {
		case "Invoice":
			o["Balance"] = t
		case "CreditMemo":
			o["Balance"], o["RemainingCredit"] = t, t
		}
	case "Payment":
		left, scale := decimal(o["TotalAmt"])
		for _, l := range lines(o) {
			amt, s := decimal(l["Amount"])
			left.Sub(left, amt)
			scale = max(scale, s)
		}
		o["UnappliedAmt"] = json.Number(left.FloatString(scale))
	}
}

func lines(o object) []map[string]any {
	ls, _ := o["Line"].([]any)
	out := make([]map[string]any, 0, len(ls))
	for _, l := range ls {
		if m, ok := l.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// decimal reads an exact decimal and the number of its fraction digits.
func decimal(v any) (*big.Rat, int) {
	s := fmt.Sprint(v)
	r, ok := new(big.Rat).SetString(s)
	if v == nil || !ok {
		return new(big.Rat), 0
	}
	if _, frac, ok := strings.Cut(s, "."); ok {
		return r, len(frac)
	}
	return r, 0
}
