package qbofake

import (
	"math/big"
	"slices"
)

// autoApplyCredit reports the company's "Automatically apply credits"
// preference (SalesFormsPrefs.AutoApplyCredit, set with SetPreferences).
func (c *Company) autoApplyCredit() bool {
	sf := c.prefs.SalesFormsPrefs
	return sf != nil && sf.AutoApplyCredit != nil && *sf.AutoApplyCredit
}

// applyCredit does what QuickBooks does to a new invoice when credits are
// applied automatically: the unapplied money of the customer's payments,
// oldest first, pays the invoice; each payment gains a line for it (and a
// new SyncToken), and the invoice lists the payments in LinkedTxn. Credit
// memos are not modelled: the fake keeps no remaining credit.
func (c *Company) applyCredit(inv object) {
	need, scale := decimal(inv["TotalAmt"])
	cust := member(inv, "CustomerRef")
	var linked []any
	for _, id := range c.ids("Payment") {
		if need.Sign() <= 0 {
			break
		}
		p := c.objects["Payment"][id]
		left, _ := decimal(p["UnappliedAmt"])
		if member(p, "CustomerRef") != cust || left.Sign() <= 0 {
			continue
		}
		amt := left
		if need.Cmp(left) < 0 {
			amt = need
		}
		p["Line"] = append(slices.Clone(anyList(p["Line"])), map[string]any{"Amount": jsonNumber(amt, scale),
			"LinkedTxn": []any{map[string]any{"TxnId": inv["Id"], "TxnType": "Invoice"}}})
		p["SyncToken"] = bump(p["SyncToken"])
		total("Payment", p)
		need = new(big.Rat).Sub(need, amt)
		linked = append(linked, map[string]any{"TxnId": id, "TxnType": "Payment"})
	}
	if linked != nil {
		inv["LinkedTxn"] = linked
	}
}

// ids lists the Ids of entity name's objects in the order they were made.
func (c *Company) ids(name string) []string {
	var out []string
	for id := range c.objects[name] {
		out = append(out, id)
	}
	slices.SortFunc(out, cmpID)
	return out
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}
