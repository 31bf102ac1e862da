package qbosim

import (
	"fmt"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// preparePayment validates a Payment ("Receive payment"). Each line applies
// part of it to one Invoice, CreditMemo or JournalEntry of the same
// customer through LinkedTxn; what is left is UnappliedAmt. Credits used
// (credit memos, A/R credit journals) add to what the lines can pay, which is
// how a TotalAmt 0 payment applies a credit memo to an invoice.
func (c *company) preparePayment(w *write) error {
	d := w.data
	cust, err := c.resolveRef(d, "CustomerRef", "Customer", "CustomerRef")
	if err != nil {
		return err
	}
	if cust == nil {
		return errRequired("CustomerRef")
	}
	total, ok, err := amount(d, "TotalAmt", "TotalAmt")
	if err != nil {
		return err
	}
	if !ok {
		return errRequired("TotalAmt")
	}
	if total < 0 {
		return errBusiness("A payment amount cannot be negative.")
	}
	d["TotalAmt"] = num(total)
	date, err := c.txnDate(w)
	if err != nil {
		return err
	}
	cur, rate, err := c.txnCurrency(w, cust)
	if err != nil {
		return err
	}
	deposit, ar, err := c.paymentAccounts(d)
	if err != nil {
		return err
	}
	links, err := c.paymentLinks(w, cust.id, cur)
	if err != nil {
		return err
	}
	if u := unapplied(total, links); u < 0 {
		return errBusiness("The amount applied to transactions (%s) is more than the payment amount plus the credits it uses (%s).",
			total-u, total)
	}
	d["Line"] = paymentLines(links)
	d["ProcessPayment"] = false
	home := total
	delete(d, "HomeTotalAmt")
	if rate != nil {
		home = total.MulRat(rate)
		d["HomeTotalAmt"] = num(home)
	}
	var postings []posting
	if home != 0 {
		postings = []posting{{account: deposit, amount: home}, {account: ar, amount: -home}}
	}
	w.txn = &txn{date: date, customer: cust.id, currency: cur, rate: rate, total: total, postings: postings, links: links}
	return nil
}

// paymentAccounts resolves where the money goes (Undeposited Funds unless
// DepositToAccountRef says), the A/R account it comes off and the method.
func (c *company) paymentAccounts(d map[string]any) (deposit, ar string, err error) {
	if deposit, err = c.depositAccount(d, true); err != nil {
		return "", "", err
	}
	if ar, err = c.arAccount(d); err != nil {
		return "", "", err
	}
	_, err = c.resolveRef(d, "PaymentMethodRef", "PaymentMethod", "PaymentMethodRef")
	return deposit, ar, err
}

// paymentLinks validates the payment's lines against what is open on each
// linked document, counting back what this payment already applied to it.
func (c *company) paymentLinks(w *write, custID, cur string) ([]link, error) {
	var links []link
	want := map[string]money.Amount{}
	for i, l := range list(w.data, "Line") {
		elem := fmt.Sprintf("Line[%d]", i)
		line, ok := l.(map[string]any)
		if !ok {
			return nil, errMalformed(elem + " must be an object")
		}
		amt, ok, err := amount(line, "Amount", elem+".Amount")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errRequired(elem + ".Amount")
		}
		linked := list(line, "LinkedTxn")
		if len(linked) != 1 {
			return nil, errBusiness("%s must link exactly one transaction (LinkedTxn).", elem)
		}
		lt, _ := linked[0].(map[string]any)
		target, err := c.linkTarget(lt, elem, custID, cur)
		if err != nil {
			return nil, err
		}
		if amt < 0 {
			return nil, errBusiness("%s.Amount cannot be negative.", elem)
		}
		if amt == 0 {
			continue
		}
		openAmt, credit := c.open(target, custID)
		openAmt += c.appliedByOld(w.old, target)
		key := linkKey(target.kind.name, target.id)
		want[key] += amt
		if want[key] > openAmt {
			return nil, errBusiness("The amount applied to %s %s (%s) is more than its open balance (%s).",
				target.kind.name, target.id, want[key], openAmt)
		}
		links = append(links, link{targetKind: target.kind.name, targetID: target.id, amount: amt, credit: credit})
	}
	return links, nil
}

// linkTarget resolves one LinkedTxn of a payment line.
func (c *company) linkTarget(lt map[string]any, elem, custID, cur string) (*entity, error) {
	typ, id := str(lt, "TxnType"), idText(lt["TxnId"])
	if typ == "" || id == "" {
		return nil, errRequired(elem + ".LinkedTxn.TxnId")
	}
	switch typ {
	case "Invoice", "CreditMemo", "JournalEntry":
	default:
		return nil, errBusiness("%s.LinkedTxn.TxnType %q cannot be paid by a Payment; use Invoice, CreditMemo or JournalEntry.", elem, typ)
	}
	target := c.get(typ, id)
	if target == nil {
		return nil, errInvalidRef(elem+".LinkedTxn", typ, id)
	}
	if target.txn.voided {
		return nil, errBusiness("%s %s has been voided and cannot be paid.", typ, id)
	}
	if typ == "JournalEntry" {
		if target.txn.ar[custID] == 0 {
			return nil, errBusiness("JournalEntry %s has no Accounts Receivable line for this customer.", id)
		}
	} else if target.txn.customer != custID {
		return nil, errBusiness("%s %s belongs to a different customer.", typ, id)
	}
	if target.txn.currency != "" && target.txn.currency != cur {
		return nil, errBusiness("%s %s is in %s; the payment is in %s.", typ, id, target.txn.currency, cur)
	}
	return target, nil
}

// appliedByOld is what the stored version of a payment applies to target.
func (c *company) appliedByOld(old *entity, target *entity) money.Amount {
	if old == nil {
		return 0
	}
	var sum money.Amount
	for _, l := range old.txn.links {
		if l.targetKind == target.kind.name && l.targetID == target.id {
			sum += l.amount
		}
	}
	return sum
}

// paymentLines renders links as Payment lines.
func paymentLines(links []link) []any {
	out := make([]any, 0, len(links))
	for _, l := range links {
		out = append(out, map[string]any{
			"Amount":    num(l.amount),
			"LinkedTxn": []any{map[string]any{"TxnId": l.targetID, "TxnType": l.targetKind}},
		})
	}
	return out
}
