package qbosim

import (
	"fmt"
	"strings"
)

// uniqueName refuses a name another entity of the kind already uses, active
// or not, compared without regard to case as QuickBooks compares names.
func (c *company) uniqueName(w *write, key, name, who string) error {
	for _, e := range c.entities[w.kind.name] {
		if w.old != nil && e.id == w.old.id {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(str(e.data, key)), name) {
			return errDuplicateName(who)
		}
	}
	return nil
}

// deletedSuffix is what QuickBooks appends to the name of a name-list
// record made inactive, which frees the name for a new record.
const deletedSuffix = " (deleted)"

// activeName returns the name a record is stored under: name while it is
// active; once inactive, name with " (deleted)" appended (numbered when
// another inactive record already holds that), unless it already has it.
// The name must be unique either way.
func (c *company) activeName(w *write, key, name, who string) (string, error) {
	d := w.data
	defaultActive(d)
	if boolean(d, "Active", true) || strings.HasSuffix(name, strings.TrimSpace(deletedSuffix)) {
		if err := c.uniqueName(w, key, name, who); err != nil {
			return "", err
		}
		d[key] = name
		return name, nil
	}
	deleted := name + deletedSuffix
	for n := 2; c.uniqueName(w, key, deleted, who) != nil; n++ {
		deleted = fmt.Sprintf("%s (deleted %d)", name, n)
	}
	d[key] = deleted
	return deleted, nil
}

// requireName trims a name property and checks it is present and short
// enough.
func requireName(d map[string]any, key string, maxLen int) (string, error) {
	name := strings.TrimSpace(str(d, key))
	if name == "" {
		return "", errRequired(key)
	}
	if len([]rune(name)) > maxLen {
		return "", errStringLength(key, maxLen)
	}
	d[key] = name
	return name, nil
}

func defaultActive(d map[string]any) {
	if _, ok := d["Active"].(bool); !ok {
		d["Active"] = boolean(d, "Active", true)
	}
}

// prepareItem validates an Item: a unique Name, a supported Type and, for
// the types that post revenue, an IncomeAccountRef.
func (c *company) prepareItem(w *write) error {
	d := w.data
	name, err := requireName(d, "Name", 100)
	if err != nil {
		return err
	}
	if strings.Contains(name, ":") {
		return errBusiness("Item names cannot contain a colon (:).")
	}
	if name, err = c.activeName(w, "Name", name, "product or service"); err != nil {
		return err
	}
	typ := str(d, "Type")
	if typ == "" {
		typ = "Service"
	}
	switch typ {
	case "Service", "NonInventory":
	case "Inventory", "Group", "Category", "Assembly", "Other Charge":
		return errBusiness("Item Type %s is not supported by the simulator; use Service or NonInventory.", typ)
	default:
		return errBusiness("Item Type %q is not valid.", typ)
	}
	d["Type"] = typ
	if refValue(d, "IncomeAccountRef") == "" {
		return errRequired("IncomeAccountRef")
	}
	acct, err := c.resolveRef(d, "IncomeAccountRef", "Account", "IncomeAccountRef")
	if err != nil {
		return err
	}
	switch str(acct.data, "AccountType") {
	case "Accounts Receivable", "Accounts Payable":
		return errBusiness("An item's income account cannot be %s.", str(acct.data, "AccountType"))
	}
	if _, ok := d["UnitPrice"]; ok {
		if _, err := parseNumber(d, "UnitPrice"); err != nil {
			return err
		}
	}
	d["FullyQualifiedName"] = name
	defaultActive(d)
	return nil
}

// preparePaymentMethod validates a PaymentMethod.
func (c *company) preparePaymentMethod(w *write) error {
	d := w.data
	name, err := requireName(d, "Name", 31)
	if err != nil {
		return err
	}
	if err := c.uniqueName(w, "Name", name, "payment method"); err != nil {
		return err
	}
	switch t := str(d, "Type"); t {
	case "":
		d["Type"] = "NON_CREDIT_CARD"
	case "CREDIT_CARD", "NON_CREDIT_CARD":
	default:
		return errBusiness("PaymentMethod Type %q is not valid: use CREDIT_CARD or NON_CREDIT_CARD.", t)
	}
	defaultActive(d)
	return nil
}

// prepareAccount validates an Account: a unique Name, a valid AccountType;
// Classification and the sub-type default follow from the type.
func (c *company) prepareAccount(w *write) error {
	d := w.data
	if w.old != nil && boolean(w.input, "sparse", false) && strings.TrimSpace(str(w.input, "Name")) == "" {
		// Account takes no sparse update without its Name.
		return errRequired("Name")
	}
	name, err := requireName(d, "Name", 100)
	if err != nil {
		return err
	}
	if strings.Contains(name, ":") || strings.Contains(name, "\"") {
		return errBusiness("Account names cannot contain a colon (:) or a double quote.")
	}
	if name, err = c.activeName(w, "Name", name, "account"); err != nil {
		return err
	}
	typ := str(d, "AccountType")
	if typ == "" {
		return errRequired("AccountType")
	}
	cls := classification(typ)
	if cls == "" {
		return errBusiness("AccountType %q is not valid.", typ)
	}
	if w.old != nil && str(w.old.data, "AccountType") != typ && c.accountUsed(w.old.id) {
		return errBusiness("The type of an account with transactions cannot change.")
	}
	if str(d, "AccountSubType") == "" {
		d["AccountSubType"] = defaultSubType(typ)
	}
	d["Classification"] = cls
	d["FullyQualifiedName"] = name
	d["SubAccount"] = false
	if parent, err := c.resolveRef(d, "ParentRef", "Account", "ParentRef"); err != nil {
		return err
	} else if parent != nil {
		d["SubAccount"] = true
		d["FullyQualifiedName"] = parent.displayName() + ":" + name
	}
	if refValue(d, "CurrencyRef") == "" {
		d["CurrencyRef"] = ref(c.prefs.HomeCurrency, currencyName(c.prefs.HomeCurrency))
	}
	defaultActive(d)
	return nil
}

func (c *company) accountUsed(id string) bool {
	return c.books.debits[id] != 0 || c.books.credits[id] != 0
}

func defaultSubType(accountType string) string {
	switch accountType {
	case "Bank":
		return "Checking"
	case "Accounts Receivable":
		return "AccountsReceivable"
	case "Other Current Asset":
		return "OtherCurrentAssets"
	case "Fixed Asset":
		return "OtherFixedAssets"
	case "Other Asset":
		return "OtherLongTermAssets"
	case "Accounts Payable":
		return "AccountsPayable"
	case "Credit Card":
		return "CreditCard"
	case "Other Current Liability":
		return "OtherCurrentLiabilities"
	case "Long Term Liability":
		return "OtherLongTermLiabilities"
	case "Equity":
		return "OpeningBalanceEquity"
	case "Income":
		return "ServiceFeeIncome"
	case "Other Income":
		return "OtherMiscellaneousIncome"
	case "Cost of Goods Sold":
		return "SuppliesMaterialsCogs"
	case "Expense":
		return "OtherBusinessExpenses"
	case "Other Expense":
		return "OtherMiscellaneousExpense"
	}
	return ""
}
