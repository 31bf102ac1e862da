package qbosim_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// validBodies returns a valid create body per writable entity, given the
// ids of a customer, an invoice and a credit memo.
func validBodies(cust, inv string) map[string]map[string]any {
	return map[string]map[string]any{
		"Customer":      {"DisplayName": "Schema Person"},
		"Item":          {"Name": "Schema Item", "Type": "Service", "IncomeAccountRef": refTo("9")},
		"Account":       {"Name": "Schema Bank", "AccountType": "Bank"},
		"PaymentMethod": {"Name": "Wire"},
		"Invoice":       {"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}},
		"CreditMemo":    {"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}},
		"SalesReceipt":  {"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}},
		"RefundReceipt": {"CustomerRef": refTo(cust), "Line": []any{itemLine("5")}, "DepositToAccountRef": refTo("1")},
		"Payment":       {"CustomerRef": refTo(cust), "TotalAmt": json.Number("1"), "Line": []any{payLine("1", "Invoice", inv)}},
		"JournalEntry": {"Line": []any{
			jeLine("Debit", "5", "1", ""), jeLine("Credit", "5", "9", ""),
		}},
	}
}

// QBO rejects a property its schema does not define for the entity with
// 2010 "Request has invalid or unsupported property", at any depth, on every
// writable entity; the same bodies without it are accepted.
func TestUnknownPropertyIsRejectedOnEveryEntity(t *testing.T) {
	s := newSim(t, "", unlimited)
	cust := s.customer("Schema Co")
	inv := str(s.invoice(cust, "100", nil), "Id")
	for name, body := range validBodies(cust, inv) {
		t.Run(name, func(t *testing.T) {
			bad := copyMap(body)
			bad["FavouriteColour"] = "blue"
			e := wantFault(t, s.api(http.MethodPost, lower(name), bad), http.StatusBadRequest, "2010")
			if e["element"] != "FavouriteColour" {
				t.Errorf("element = %v", e["element"])
			}
			s.ok(name, "", body)
		})
	}
	t.Run("nested in a line", func(t *testing.T) {
		line := itemLine("5")
		line["SalesItemLineDetail"].(map[string]any)["Colour"] = "red"
		e := wantFault(t, s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "Line": []any{line}}),
			http.StatusBadRequest, "2010")
		if e["element"] != "Line[0].SalesItemLineDetail.Colour" {
			t.Errorf("element = %v", e["element"])
		}
	})
	t.Run("batch item", func(t *testing.T) {
		r := s.api(http.MethodPost, "batch", map[string]any{"BatchItemRequest": []any{
			map[string]any{"bId": "1", "operation": "create", "Customer": map[string]any{"DisplayName": "B", "Nope": 1}},
		}})
		items := list(r.body, "BatchItemResponse")
		if r.status != http.StatusOK || len(items) != 1 {
			t.Fatalf("batch: %d %s", r.status, r.raw)
		}
		wantFaultBody(t, items[0].(map[string]any), "2010")
	})
}

// QBO ignores read-only properties on input rather than rejecting them: a
// client may echo back what it read.
func TestReadOnlyPropertiesAreIgnored(t *testing.T) {
	s := newSim(t, "")
	cust := s.customer("Echo Co")
	inv := s.invoice(cust, "40", map[string]any{"TotalAmt": json.Number("999"), "Balance": json.Number("999"),
		"HomeTotalAmt": json.Number("999")})
	wantAmounts(t, inv, map[string]string{"TotalAmt": "40.00", "Balance": "40.00"})
	if _, ok := inv["HomeTotalAmt"]; ok {
		t.Error("HomeTotalAmt set on a single-currency invoice")
	}
	// A full update that sends back everything read (MetaData, LinkedTxn, SubTotal line) works.
	inv["PrivateNote"] = "round trip"
	again := s.ok("Invoice", "", inv)
	wantAmounts(t, again, map[string]string{"TotalAmt": "40.00", "Balance": "40.00", "SyncToken": "1", "PrivateNote": "round trip"})
	if n := len(list(again, "Line")); n != 2 {
		t.Errorf("lines after round trip = %d, want item + subtotal", n)
	}
	c := s.ok("Customer", "", map[string]any{"DisplayName": "Opening", "Balance": json.Number("500")})
	if str(c, "Balance") != "0.00" {
		t.Errorf("customer Balance = %s, want 0.00", str(c, "Balance"))
	}
}

func jeLine(side, amount, account, customer string) map[string]any {
	d := map[string]any{"PostingType": side, "AccountRef": refTo(account)}
	if customer != "" {
		d["Entity"] = map[string]any{"Type": "Customer", "EntityRef": refTo(customer)}
	}
	return map[string]any{"Amount": json.Number(amount), "DetailType": "JournalEntryLineDetail", "JournalEntryLineDetail": d}
}

func copyMap(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
