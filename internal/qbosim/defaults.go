package qbosim

// Intuit returns some properties on every read with a default value even
// when a client never set them; clients that read an object and send it
// back in a full update rely on seeing them. Evidence: the Customer and
// Invoice objects in Intuit's API reference samples and the Java SDK's
// fixtures (docs/qbosim.md, "Defaults on read").

// customerDefaults fills the defaults of a Customer.
func (c *company) customerDefaults(w *write) {
	d := w.data
	setDefault(d, "Taxable", refValue(d, "DefaultTaxCodeRef") != "")
	setDefault(d, "BillWithParent", false)
	setDefault(d, "PreferredDeliveryMethod", "Print")
	name := str(d, "CompanyName")
	if name == "" {
		name = str(d, "DisplayName")
	}
	setDefault(d, "PrintOnCheckName", name)
	for _, key := range []string{"BillAddr", "ShipAddr"} {
		c.addressID(w, key)
	}
}

// salesDefaults fills the defaults of an Invoice, CreditMemo, SalesReceipt
// or RefundReceipt: print and e-mail status, and the customer's billing
// address when the document has none.
func (c *company) salesDefaults(w *write, cust *entity) {
	d := w.data
	setDefault(d, "PrintStatus", "NotSet")
	setDefault(d, "EmailStatus", "NotSet")
	if _, ok := d["BillAddr"]; !ok && cust != nil {
		if addr, ok := cust.data["BillAddr"].(map[string]any); ok {
			d["BillAddr"] = copyObject(addr)
		}
	}
}

// addressID gives an address its Id, kept across updates as QuickBooks
// keeps it.
func (c *company) addressID(w *write, key string) {
	addr, ok := w.data[key].(map[string]any)
	if !ok || idText(addr["Id"]) != "" {
		return
	}
	if w.old != nil {
		if old, ok := w.old.data[key].(map[string]any); ok && idText(old["Id"]) != "" {
			addr["Id"] = old["Id"]
			return
		}
	}
	addr["Id"] = c.newID()
}

func setDefault(d map[string]any, key string, v any) {
	if _, ok := d[key]; !ok {
		d[key] = v
	}
}
