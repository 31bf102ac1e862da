package billing

import (
	"fmt"
	"strings"
	"testing"
)

func str(s string) string { return fmt.Sprintf("%q", s) }

func list(n int, item string) string {
	return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
}

func TestParseEventProblems(t *testing.T) {
	const (
		customer = "01-customer-cus_1001.json"
		product  = "02-product-prod_basic.json"
		invoice  = "04-invoice-inv_1001.json"
		payment  = "05-payment-pay_1001.json"
		credit   = "catalog/credit.created.json"
		address  = "catalog/customer.updated.json"
		sale     = "catalog/sale.created.json"
		refund   = "catalog/refund.created.json"
		saleRef  = "catalog/refund.sale.json"
	)
	tests := []struct {
		name  string
		file  string
		edits map[string]string
		wants []want
	}{
		// Envelope.
		{"id missing", invoice, map[string]string{"id": "-"}, []want{{"id", "is required"}}},
		{"id with space", invoice, map[string]string{"id": str("evt 1")}, []want{{"id", "visible ASCII"}}},
		{"id too long", invoice, map[string]string{"id": str(strings.Repeat("e", 129))}, []want{{"id", "at most 128 characters"}}},
		{"id at limit", invoice, map[string]string{"id": str(strings.Repeat("e", 128))}, nil},
		{"type without action", invoice, map[string]string{"type": str("invoice")}, []want{{"type", "<kind>.<action>"}}},
		{"type unknown kind", invoice, map[string]string{"type": str("order.created")}, []want{{"type", `unknown kind "order"`}}},
		{"invoice deleted", invoice, map[string]string{"type": str("invoice.deleted")}, []want{{"type", `action "deleted"`}}},
		{"customer voided", customer, map[string]string{"type": str("customer.voided")}, []want{{"type", "created, updated, deleted"}}},
		{"type of another kind", customer, map[string]string{"type": str("product.created")},
			[]want{{"data.company_name", "not a field"}, {"data.currency", "not a field"}, {"data.display_name", "not a field"},
				{"data.email", "not a field"}, {"data.name", "is required"}, {"data.active", "is required"}}},
		{"occurred_at without zone", invoice, map[string]string{"occurred_at": str("2026-11-21T10:15:00")}, []want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at with space", invoice, map[string]string{"occurred_at": str("2026-11-21 10:15:00Z")}, []want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at offset", invoice, map[string]string{"occurred_at": str("2026-11-21T10:15:00.123+09:00")}, nil},
		{"unknown envelope field", invoice, map[string]string{"livemode": "true"}, []want{{"livemode", "not a field of the v1 contract"}}},
		{"data a list", invoice, map[string]string{"data": "[]"}, []want{{"data", "must be an object"}}},
		{"data missing", invoice, map[string]string{"data": "-"}, []want{{"data", "is required"}}},
		{"data null", invoice, map[string]string{"data": "null"}, []want{{"data", "is required"}}},

		// Shapes and types.
		{"version zero", invoice, map[string]string{"data.version": "0"}, []want{{"data.version", "1 or more"}}},
		{"version string", invoice, map[string]string{"data.version": str("1")}, []want{{"data.version", "integer as a JSON number, not a string"}}},
		{"version overflow", invoice, map[string]string{"data.version": "99999999999999999999"}, []want{{"data.version", "out of range"}}},
		// 2^53 - 1: the largest integer a JavaScript billing system or JSON
		// Schema validator keeps exactly.
		{"version at the maximum", invoice, map[string]string{"data.version": "9007199254740991"}, nil},
		{"version over the maximum", invoice, map[string]string{"data.version": "9007199254740992"},
			[]want{{"data.version", "at most 9007199254740991"}}},
		{"unknown data field", invoice, map[string]string{"data.paid": "true"}, []want{{"data.paid", "not a field"}}},
		{"unknown line field", invoice, map[string]string{"data.lines.0.period": "{}"}, []want{{"data.lines[0].period", "not a field"}}},
		{"amount float", invoice, map[string]string{"data.lines.0.unit_amount": "49.0"},
			[]want{{"data.lines[0].unit_amount", "minor units (1999 for 19.99), not a decimal"}}},
		{"amount exponent", invoice, map[string]string{"data.lines.0.unit_amount": "4.9e3"},
			[]want{{"data.lines[0].unit_amount", "not a decimal or exponent"}}},
		{"amount string", invoice, map[string]string{"data.subtotal": str("8650")}, []want{{"data.subtotal", "not a string"}}},
		{"amount bool", invoice, map[string]string{"data.total": "true"}, []want{{"data.total", "must be an integer number of minor units"}}},
		{"amount over the maximum", payment, map[string]string{"data.amount": "1000000000000000", "data.applications": "[]"},
			[]want{{"data.amount", "between"}}},
		{"quantity number", invoice, map[string]string{"data.lines.1.quantity": "3"}, []want{{"data.lines[1].quantity", `written as a string, like "1.5"`}}},
		{"quantity decimals", invoice, map[string]string{"data.lines.1.quantity": str("3.0000001")}, []want{{"data.lines[1].quantity", "at most 6 decimals"}}},
		{"quantity negative", invoice, map[string]string{"data.lines.1.quantity": str("-3")}, []want{{"data.lines[1].quantity", "non-negative"}}},
		{"quantity exponent", invoice, map[string]string{"data.lines.1.quantity": str("3e0")}, []want{{"data.lines[1].quantity", "non-negative decimal"}}},
		{"date not a day", invoice, map[string]string{"data.due_on": str("2026-02-30")}, []want{{"data.due_on", "existing day"}}},
		{"date other layout", invoice, map[string]string{"data.issued_on": str("21/11/2026")}, []want{{"data.issued_on", "YYYY-MM-DD"}}},
		{"date with time", invoice, map[string]string{"data.issued_on": str("2026-11-21T00:00:00Z")}, []want{{"data.issued_on", "YYYY-MM-DD"}}},
		{"date too early", invoice, map[string]string{"data.issued_on": str("1899-12-31")}, []want{{"data.issued_on", "1900 or later"}}},
		{"currency lower case", invoice, map[string]string{"data.currency": str("usd")}, []want{{"data.currency", "ISO 4217"}}},
		{"currency unknown", invoice, map[string]string{"data.currency": str("XYZ")}, []want{{"data.currency", "ISO 4217"}}},
		{"status unknown", invoice, map[string]string{"data.status": str("open")}, []want{{"data.status", "one of draft, posted, paid, voided"}}},
		{"number too long", invoice, map[string]string{"data.number": str("INV-2026-11-0000000001")},
			[]want{{"data.number", "at most 21 characters (has 22): QuickBooks keeps at most 21 characters in an invoice's DocNumber"}}},
		{"number at limit", invoice, map[string]string{"data.number": str("INV-2026-11-000000001")}, nil},
		{"display name too long", customer, map[string]string{"data.display_name": str(strings.Repeat("é", 101))},
			[]want{{"data.display_name", "at most 100 characters (has 101)"}}},
		{"display name at limit", customer, map[string]string{"data.display_name": str(strings.Repeat("é", 100))}, nil},
		{"description too long", product, map[string]string{"data.description": str(strings.Repeat("x", 4001))},
			[]want{{"data.description", "at most 4000"}}},
		{"notes too long", invoice, map[string]string{"data.notes": str(strings.Repeat("x", 4001))}, []want{{"data.notes", "at most 4000"}}},
		{"notes multi-line", invoice, map[string]string{"data.notes": str("Line one\n\tLine two\r\n")}, nil},
		{"control character", customer, map[string]string{"data.display_name": `"Acme\u0000Corp"`}, []want{{"data.display_name", "control characters"}}},
		{"too many lines", invoice, map[string]string{"data.lines": list(501, "{}")}, []want{{"data.lines", "at most 500 items (has 501)"}}},
		{"too many applications", payment, map[string]string{"data.applications": list(501, `{"invoice_id":"i","amount":1}`)},
			[]want{{"data.applications", "at most 500 items"}}},
		{"entity id with space", customer, map[string]string{"data.id": str("cus 1001")}, []want{{"data.id", "A-Z a-z 0-9 . _ : -"}}},
		{"reference with hash", invoice, map[string]string{"data.customer_id": str("cus#1")}, []want{{"data.customer_id", "A-Z a-z 0-9"}}},
		{"entity id too long", customer, map[string]string{"data.id": str(strings.Repeat("c", 65))}, []want{{"data.id", "at most 64"}}},
		{"entity id at limit", customer, map[string]string{"data.id": str(strings.Repeat("c", 64))}, nil},
		{"email", customer, map[string]string{"data.email": str("billing at acme")}, []want{{"data.email", "email address"}}},
		{"required missing", invoice, map[string]string{"data.customer_id": "-"}, []want{{"data.customer_id", "is required"}}},
		{"required null", invoice, map[string]string{"data.customer_id": "null"}, []want{{"data.customer_id", "is required"}}},
		{"required empty", invoice, map[string]string{"data.lines.0.description": str("")}, []want{{"data.lines[0].description", "must not be empty"}}},
		{"required blank", customer, map[string]string{"data.display_name": str("   ")}, []want{{"data.display_name", "must not be empty"}}},
		{"optional null", customer, map[string]string{"data.company_name": "null"}, nil},
		{"optional empty", customer, map[string]string{"data.company_name": str("")}, nil},
		{"bool as string", product, map[string]string{"data.active": str("yes")}, []want{{"data.active", "true or false"}}},
		{"country name", address, map[string]string{"data.billing_address.country": str("USA")}, []want{{"data.billing_address.country", "at most 2"}}},
		{"country lower case", address, map[string]string{"data.billing_address.country": str("us")}, []want{{"data.billing_address.country", "ISO 3166-1"}}},
		{"address line1 missing", address, map[string]string{"data.billing_address.line1": "-"}, []want{{"data.billing_address.line1", "is required"}}},
		{"address not object", address, map[string]string{"data.billing_address": str("1 Main St")}, []want{{"data.billing_address", "must be an object"}}},
		{"discount negative", invoice, map[string]string{"data.lines.1.discount_amount": "-375"}, []want{{"data.lines[1].discount_amount", "must not be negative"}}},
		{"tax negative", invoice, map[string]string{"data.lines.0.tax_amount": "-1"}, []want{{"data.lines[0].tax_amount", "must not be negative"}}},
		{"payment amount zero", payment, map[string]string{"data.amount": "0", "data.applications": "[]"}, []want{{"data.amount", "greater than 0"}}},
		{"payment amount negative", payment, map[string]string{"data.amount": "-5000"}, []want{{"data.amount", "greater than 0"}}},
		{"payment method", payment, map[string]string{"data.method": str("wire")}, []want{{"data.method", "one of card, ach, check, cash, other"}}},
		{"application amount zero", payment, map[string]string{"data.applications.0.amount": "0"}, []want{{"data.applications[0].amount", "greater than 0"}}},
		{"applications missing", payment, map[string]string{"data.applications": "-"}, []want{{"data.applications", "is required"}}},
		{"lines a map", invoice, map[string]string{"data.lines": "{}"}, []want{{"data.lines", "must be a list"}}},

		// Invariants.
		{"line amount", invoice, map[string]string{"data.lines.0.amount": "4901"},
			[]want{{"data.lines[0].amount", "must be round(quantity × unit_amount) = 4900 (halves round away from zero), not 4901"}}},
		{"subtotal", invoice, map[string]string{"data.subtotal": "8600"}, []want{{"data.subtotal", "sum of lines[].amount = 8650, not 8600"}}},
		{"discount total", invoice, map[string]string{"data.discount_total": "0"}, []want{{"data.discount_total", "sum of lines[].discount_amount = 375"}}},
		{"tax total", invoice, map[string]string{"data.tax_total": "600"}, []want{{"data.tax_total", "sum of lines[].tax_amount = 662"}}},
		{"total", invoice, map[string]string{"data.total": "9000", "data.amount_due": "0"},
			[]want{{"data.total", "subtotal - discount_total + tax_total = 8937, not 9000"}}},
		{"amount due over total", invoice, map[string]string{"data.amount_due": "8938"}, []want{{"data.amount_due", "must not exceed total (8937)"}}},
		{"amount due negative", invoice, map[string]string{"data.amount_due": "-1"}, []want{{"data.amount_due", "must not be negative"}}},
		{"paid with amount due", invoice, map[string]string{"data.status": str("paid")}, []want{{"data.amount_due", "must be 0 when status is paid"}}},
		{"paid", invoice, map[string]string{"data.status": str("paid"), "data.amount_due": "0"}, nil},
		{"voided event, posted invoice", invoice, map[string]string{"type": str("invoice.voided")}, []want{{"data.status", "must be voided in an invoice.voided event"}}},
		{"voided status, updated event", invoice, map[string]string{"type": str("invoice.updated"), "data.status": str("voided")}, nil},
		{"no lines", invoice, map[string]string{"data.lines": "[]", "data.subtotal": "0", "data.discount_total": "0",
			"data.tax_total": "0", "data.total": "0", "data.amount_due": "0"}, []want{{"data.lines", "at least one line"}}},
		{"line ids repeat", invoice, map[string]string{"data.lines.1.id": str("li_1")}, []want{{"data.lines[1].id", "repeats the id of data.lines[0]"}}},
		{"applications over amount", payment, map[string]string{"data.applications.0.amount": "5001"},
			[]want{{"data.applications", "add up to 5001, more than the payment's amount 5000"}}},
		{"applications equal amount", payment, map[string]string{"data.applications.0.amount": "5000"}, nil},
		{"application repeated", payment, map[string]string{"data.amount": "9000",
			"data.applications": `[{"invoice_id":"inv_1001","amount":1000},{"invoice_id":"inv_1001","amount":1000}]`},
			[]want{{"data.applications[1].invoice_id", "repeats data.applications[0]"}}},
		{"credit applications over amount", credit, map[string]string{"data.applications.0.amount": "2001"},
			[]want{{"data.applications", "more than the credit's amount 2000"}}},
		{"credit lines sum", credit, map[string]string{"data.lines.1.amount": "400"},
			[]want{{"data.lines", "add up to 1900; they must add up to the credit's amount 2000"}}},
		{"sale total", sale, map[string]string{"data.total": "7792"},
			[]want{{"data.total", "subtotal - discount_total + tax_total = 7791, not 7792"}}},
		{"sale line amount", sale, map[string]string{"data.lines.1.amount": "2998"},
			[]want{{"data.lines[1].amount", "= 2999 (halves round away from zero), not 2998"}}},
		{"sale without lines", sale, map[string]string{"data.lines": "[]", "data.subtotal": "0", "data.discount_total": "0",
			"data.tax_total": "0", "data.total": "0"}, []want{{"data.lines", "at least one line"}}},
		{"sale exchange rate zero", sale, map[string]string{"data.exchange_rate": str("0.000")}, []want{{"data.exchange_rate", "must be more than 0"}}},
		{"sale exchange rate", sale, map[string]string{"data.exchange_rate": str("1.0825")}, nil},
		{"sale blank payment method", sale, map[string]string{"data.payment_method": str("  ")}, []want{{"data.payment_method", "must be one of"}}},
		{"sale without payment method", sale, map[string]string{"data.payment_method": "null"}, nil},
		{"sale has no amount_due", sale, map[string]string{"data.amount_due": "0"}, []want{{"data.amount_due", "not a field"}}},
		{"sale inline customer without e-mail", sale, map[string]string{"data.customer.email": "-"}, []want{{"data.customer.email", "is required"}}},
		{"refund of neither", refund, map[string]string{"data.payment_id": "-"},
			[]want{{"data.payment_id", "a refund needs payment_id or sale_id"}}},
		{"refund of both", saleRef, map[string]string{"data.payment_id": str("pay_1")},
			[]want{{"data.sale_id", "a refund needs payment_id or sale_id, not both"}}},
		{"customer own parent", customer, map[string]string{"data.parent_id": str("cus_1001")}, []want{{"data.parent_id", "own id"}}},

		// Several problems at once, in document order.
		{"several", invoice, map[string]string{"data.customer_id": "-", "data.currency": str("usd"),
			"data.lines.0.unit_amount": "49.0", "data.lines.1.amount": "3751", "data.extra": "1"},
			[]want{{"data.extra", "not a field"}, {"data.customer_id", "is required"}, {"data.currency", "ISO 4217"},
				{"data.lines[0].unit_amount", "not a decimal"}, {"data.lines[1].amount", "= 3750"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := edit(t, readSample(t, tt.file), tt.edits)
			if tt.wants == nil {
				if _, err := ParseEvent(body); err != nil {
					t.Fatalf("ParseEvent: %v", err)
				}
				return
			}
			checkProblems(t, problemsOf(t, body), tt.wants)
		})
	}
}

func TestParseEventBody(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		wants []want
	}{
		{"empty", "", []want{{"body", "must be one JSON object"}}},
		{"syntax", `{"id": "evt_1",}`, []want{{"body", "syntax error at byte 16"}}},
		{"two objects", `{} {}`, []want{{"body", "must be one JSON object"}}},
		{"array", `[]`, []want{{"body", "must be a JSON object"}}},
		{"string", `"evt"`, []want{{"body", "must be a JSON object"}}},
		{"not UTF-8", "{\"id\": \"\xff\"}", []want{{"body", "UTF-8"}}},
		{"empty object", `{}`, []want{{"id", "is required"}, {"type", "is required"}, {"occurred_at", "is required"}, {"data", "is required"}}},
		{"duplicate key", `{"id":"evt_1","id":"evt_2","type":"product.created","occurred_at":"2026-11-21T10:00:00Z",` +
			`"data":{"id":"p","version":1,"name":"P","active":true}}`, []want{{"id", "appears more than once"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, []byte(tt.body)), tt.wants)
		})
	}
}

func TestParseEventProblemLimit(t *testing.T) {
	lines := list(500, `{"x":1}`)
	body := edit(t, readSample(t, "04-invoice-inv_1001.json"), map[string]string{"data.lines": lines})
	ps := problemsOf(t, body)
	if len(ps) != MaxProblems+1 {
		t.Fatalf("got %d problems, want %d", len(ps), MaxProblems+1)
	}
	if last := ps[len(ps)-1]; last.Field != "body" || !strings.Contains(last.Problem, "more problems") {
		t.Errorf("last problem = %+v, want the truncation notice", last)
	}
}

func TestDecode(t *testing.T) {
	ev, err := ParseEvent(readSample(t, "05-payment-pay_1001.json"))
	if err != nil {
		t.Fatal(err)
	}
	ent, err := Decode(KindPayment, ev.Data)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ent.(*Payment)
	if !ok || p.Amount != 5000 || p.Method != MethodCard || len(p.Applications) != 1 || p.Applications[0].InvoiceID != "inv_1001" {
		t.Errorf("Decode = %#v", ent)
	}
	if _, err := Decode(KindInvoice, ev.Data); err == nil || !strings.Contains(err.Error(), "received_on: is not a field") {
		t.Errorf("Decode as the wrong kind: err = %v", err)
	}
	if _, err := Decode("order", ev.Data); err == nil {
		t.Error("Decode of an unknown kind: want error")
	}
	if _, err := Decode(KindPayment, []byte(`{"id":`)); err == nil {
		t.Error("Decode of broken JSON: want error")
	}
}
