package qbofake

import (
	"encoding/json"
	"fmt"
	"math/big"
)

// rebalance sets every invoice's Balance to its TotalAmt less what
// payments apply to it, as QuickBooks does after each write.
func (c *Company) rebalance() {
	applied := c.appliedToInvoices("")
	for id, inv := range c.objects["Invoice"] {
		total, scale := decimal(inv["TotalAmt"])
		open := new(big.Rat).Sub(total, ratOr0(applied[id]))
		inv["Balance"] = jsonNumber(open, scale)
	}
}

// appliedToInvoices sums, per invoice Id, what payments other than
// except apply to it.
func (c *Company) appliedToInvoices(except string) map[string]*big.Rat {
	out := map[string]*big.Rat{}
	for pid, p := range c.objects["Payment"] {
		if pid == except {
			continue
		}
		for inv, amt := range paymentApplications(p) {
			out[inv] = new(big.Rat).Add(ratOr0(out[inv]), amt)
		}
	}
	return out
}

// overApplies returns the Id of an invoice payment p would apply more to
// than it has open, "" when none.
func (c *Company) overApplies(p object) string {
	applied := c.appliedToInvoices(fmt.Sprint(p["Id"]))
	for inv, amt := range paymentApplications(p) {
		o, ok := c.objects["Invoice"][inv]
		if !ok {
			continue
		}
		total, _ := decimal(o["TotalAmt"])
		open := new(big.Rat).Sub(total, ratOr0(applied[inv]))
		if amt.Cmp(open) > 0 {
			return inv
		}
	}
	return ""
}

// paymentApplications is what payment p applies, per invoice Id.
func paymentApplications(p object) map[string]*big.Rat {
	out := map[string]*big.Rat{}
	for _, l := range lines(p) {
		amt, _ := decimal(l["Amount"])
		links, _ := l["LinkedTxn"].([]any)
		for _, lt := range links {
			m, _ := lt.(map[string]any)
			if m["TxnType"] == "Invoice" {
				id := fmt.Sprint(m["TxnId"])
				out[id] = new(big.Rat).Add(ratOr0(out[id]), amt)
			}
		}
	}
	return out
}

func ratOr0(r *big.Rat) *big.Rat {
	if r == nil {
		return new(big.Rat)
	}
	return r
}

func jsonNumber(r *big.Rat, scale int) json.Number { return json.Number(r.FloatString(scale)) }
