package admin_test

import (
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/admin/admintest"
)

// An admin opening a sale or a refund of a sale sees the QuickBooks
// object it really is, with the link that opens it.
func TestSaleDetailLinksItsReceipts(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	tok := e.Token(t, "acme", "ann@acme.example")
	acme.Post(t, "sale.created", map[string]any{"id": "sale_1", "version": 1, "customer_id": "cus_1",
		"customer": map[string]any{"display_name": "Walk-in Buyer", "email": "buyer@example.com"},
		"paid_on":  "2026-11-29", "currency": "USD",
		"lines": []map[string]any{{"id": "l1", "description": "Order", "quantity": "1", "unit_amount": 2000,
			"amount": 2000, "discount_amount": 0, "tax_amount": 0}},
		"subtotal": 2000, "discount_total": 0, "tax_total": 0, "total": 2000})
	acme.Post(t, "refund.created", map[string]any{"id": "ref_1", "version": 1, "customer_id": "cus_1", "sale_id": "sale_1",
		"refunded_on": "2026-11-30", "amount": 500, "currency": "USD"})
	acme.Drain(t)
	base := "/api/v1/tenants/acme/entities/"
	for _, tc := range []struct{ path, typ string }{
		{"sale/sale_1", "SalesReceipt"},
		{"refund/ref_1", "RefundReceipt"},
	} {
		var d detail
		get(t, e, tok, base+tc.path, &d)
		// On the simulator, "Open in QuickBooks" is the simulator's own
		// page of the object.
		if d.Status != "synced" || d.QBO == nil || d.QBO.Type != tc.typ ||
			!strings.HasSuffix(d.QBO.URL, "/_sim/companies/"+acme.Realm+"/app/"+tc.typ+"/"+d.QBO.ID) {
			t.Errorf("%s: status %s, in QuickBooks %+v; want synced as a %s with the simulator's page of it", tc.path, d.Status, d.QBO, tc.typ)
		}
	}
}
