package qbosim

import (
	"strings"
)

// prepareCustomer validates a Customer. DisplayName is unique across
// customers (vendors and employees share the namespace in QuickBooks; the
// simulator has only customers), inactive ones included. A customer with an
// open balance cannot be made inactive, and its currency is fixed once it
// has transactions.
func (c *company) prepareCustomer(w *write) error {
	d := w.data
	if strings.TrimSpace(str(d, "DisplayName")) == "" {
		var parts []string
		for _, key := range []string{"Title", "GivenName", "MiddleName", "FamilyName", "Suffix"} {
			if s := strings.TrimSpace(str(d, key)); s != "" {
				parts = append(parts, s)
			}
		}
		d["DisplayName"] = strings.Join(parts, " ")
	}
	name, err := requireName(d, "DisplayName", 500)
	if err != nil {
		return err
	}
	if strings.Contains(name, ":") {
		return errBusiness("DisplayName cannot contain a colon (:).")
	}
	if name, err = c.activeName(w, "DisplayName", name, "customer, vendor or employee"); err != nil {
		return err
	}
	if err := c.customerParent(w, name); err != nil {
		return err
	}
	if err := c.customerCurrency(w); err != nil {
		return err
	}
	c.customerDefaults(w)
	if w.old != nil && w.old.active() && !boolean(d, "Active", true) {
		if c.books.customer(w.old.id).balance() != 0 {
			return errHasBalance()
		}
	}
	return nil
}

// customerParent settles ParentRef, Job and FullyQualifiedName for
// sub-customers ("Parent:Child").
func (c *company) customerParent(w *write, name string) error {
	d := w.data
	if refValue(d, "ParentRef") == "" {
		// An empty ParentRef is no parent, as long as the customer is not
		// said to be a sub-customer.
		if boolean(d, "Job", false) {
			return errParentRequired()
		}
		delete(d, "ParentRef")
	}
	parent, err := c.resolveRef(d, "ParentRef", "Customer", "ParentRef")
	if err != nil {
		return err
	}
	if parent == nil {
		d["Job"] = false
		d["FullyQualifiedName"] = name
		delete(d, "Level")
		return nil
	}
	level := 1
	for p := parent; p != nil; p = c.get("Customer", refValue(p.data, "ParentRef")) {
		if w.old != nil && p.id == w.old.id {
			return errBusiness("A customer cannot be its own parent.")
		}
		level++
		if level > 5 {
			return errBusiness("Sub-customers can be nested at most 5 levels deep.")
		}
	}
	d["Job"] = true
	d["Level"] = jsonNumber(itoa(level - 1))
	d["FullyQualifiedName"] = parent.displayName() + ":" + name
	return nil
}

// customerCurrency defaults CurrencyRef to the home currency and keeps it
// fixed once the customer has transactions.
func (c *company) customerCurrency(w *write) error {
	d := w.data
	home := c.prefs.HomeCurrency
	cur := strings.ToUpper(refValue(d, "CurrencyRef"))
	if cur == "" {
		cur = home
		if w.old != nil {
			cur = refValue(w.old.data, "CurrencyRef")
		}
	}
	if currencyName(cur) == "" {
		return errInvalidRef("CurrencyRef", "Currency", cur)
	}
	if cur != home && !c.prefs.MultiCurrency {
		return errBusiness("Multicurrency is not enabled for this company, so a customer's currency must be %s.", home)
	}
	if w.old != nil && refValue(w.old.data, "CurrencyRef") != cur && c.customerHasTransactions(w.old.id) {
		return errBusiness("You can't change the currency of a customer that has transactions.")
	}
	d["CurrencyRef"] = ref(cur, currencyName(cur))
	return nil
}

func (c *company) customerHasTransactions(id string) bool {
	for _, m := range c.entities {
		for _, e := range m {
			if e.txn != nil && (e.txn.customer == id || e.txn.ar[id] != 0) {
				return true
			}
		}
	}
	return false
}
