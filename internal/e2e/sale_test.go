package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// sale builds a consistent sale snapshot; who is the inline customer, or
// nil for a sale of a billing customer sent as a customer event.
func sale(id string, version int, customerID string, who map[string]any, lines ...line) map[string]any {
	inv := invoice(id, version, customerID, "unused", "paid", lines...)
	s := map[string]any{"id": id, "version": version, "customer_id": customerID, "paid_on": "2026-11-29",
		"currency": "USD", "payment_method": "card", "reference": "ch_" + id, "lines": inv["lines"],
		"subtotal": inv["subtotal"], "discount_total": inv["discount_total"], "tax_total": inv["tax_total"], "total": inv["total"]}
	if who != nil {
		s["customer"] = who
	}
	return s
}

func saleRefund(id string, version int, customerID, saleID string, amount int64) map[string]any {
	return map[string]any{"id": id, "version": version, "customer_id": customerID, "sale_id": saleID,
		"refunded_on": "2026-11-30", "amount": amount, "currency": "USD", "reason": "Returned"}
}

// qboCreate creates an object in the company through the Accounting API,
// as a bookkeeper's other app would.
func (e *tenantEnv) qboCreate(entity string, body map[string]any) map[string]any {
	e.t.Helper()
	conn, err := e.stack.Store().Connection(context.Background(), e.tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	u := fmt.Sprintf("%s/v3/company/%s/%s?minorversion=75", e.stack.QBOURL(), e.realm, strings.ToLower(entity))
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	var out map[string]json.RawMessage
	var obj map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(rb, &out) != nil || json.Unmarshal(out[entity], &obj) != nil {
		e.t.Fatalf("create %s: %d %s", entity, resp.StatusCode, rb)
	}
	return obj
}

// cashOf returns the ledger's balance per account subtype.
func cashOf(l simLedger) map[string]string {
	cash := map[string]string{}
	for _, a := range l.Accounts {
		cash[a.SubType] = a.Balance
	}
	return cash
}

// A sale whose customer QuickBooks does not have yet: the customer is
// created with the billing marker, the receipt is paid into the deposit
// ledger with billing's lines, discount and tax, and a refund of the sale
// is a refund receipt paid from the refund ledger; voids take both back.
func TestSaleWithoutQuickBooksCustomer(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "sales")
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	who := map[string]any{"display_name": "Dana Whitfield", "email": "dana@whitfield.example"}
	s := sale("sale_1", 1, "cus_web_1", who,
		line{id: "l1", product: "prod_1", qty: "1", unit: 4900, tax: 392}, line{id: "l2", qty: "2", unit: 1500, discount: 500})
	e.mustPost(http.StatusAccepted, "sale.created", s)
	e.drain()
	if got := e.status(billing.KindSale, "sale_1"); got != "synced" {
		t.Fatalf("sale: %s, want synced", got)
	}
	customers := e.objects("Customer", "select * from Customer")
	if len(customers) != 1 || str(customers[0]["DisplayName"]) != "Dana Whitfield" ||
		!strings.Contains(str(customers[0]["Notes"]), "[billing "+e.tenant+"/customer cus_web_1]") ||
		str(field(customers[0], "PrimaryEmailAddr", "Address")) != "dana@whitfield.example" {
		t.Fatalf("customers = %v, want Dana Whitfield created with the marker and e-mail", customers)
	}
	receipts := e.objects("SalesReceipt", "select * from SalesReceipt")
	if len(receipts) != 1 {
		t.Fatalf("sales receipts = %d, want 1", len(receipts))
	}
	r := receipts[0]
	// 49.00 + 30.00 − 5.00 discount + 3.92 tax.
	if str(r["TotalAmt"]) != "77.92" || str(field(r, "CustomerRef", "value")) != str(customers[0]["Id"]) ||
		!strings.Contains(str(r["PrivateNote"]), "[billing "+e.tenant+"/sale sale_1]") || str(r["PaymentRefNum"]) != "ch_sale_1" {
		t.Errorf("receipt = %v, want 77.92 for Dana with the sale's marker and reference", r)
	}
	l := e.ledger()
	if cash := cashOf(l); cash["UndepositedFunds"] != "77.92" || !l.Balanced {
		t.Errorf("deposit ledger %s (balanced %v), want 77.92 received", cash["UndepositedFunds"], l.Balanced)
	}
	if len(l.Customers) != 1 || l.Customers[0].OpenAR != "0.00" {
		t.Errorf("ledger customers %+v, want Dana with nothing on A/R (a sale is paid at once)", l.Customers)
	}

	e.mustPost(http.StatusAccepted, "refund.created", saleRefund("ref_1", 1, "cus_web_1", "sale_1", 3000))
	e.drain()
	if got := e.status(billing.KindRefund, "ref_1"); got != "synced" {
		t.Fatalf("refund: %s, want synced", got)
	}
	refunds := e.objects("RefundReceipt", "select * from RefundReceipt")
	if len(refunds) != 1 || str(refunds[0]["TotalAmt"]) != "30.00" || str(field(refunds[0], "CustomerRef", "value")) != str(customers[0]["Id"]) {
		t.Fatalf("refund receipts = %v, want one of 30.00 for Dana", refunds)
	}
	if n := e.count("select count(*) from JournalEntry"); n != 0 {
		t.Errorf("journal entries = %d: a refund of a sale is a refund receipt, not a journal entry", n)
	}
	l = e.ledger()
	if cash := cashOf(l); cash["UndepositedFunds"] != "77.92" || cash["Checking"] != "-30.00" || !l.Balanced {
		t.Errorf("deposit %s, refund ledger %s (balanced %v); want 77.92 in, 30.00 out", cash["UndepositedFunds"], cash["Checking"], l.Balanced)
	}

	e.mustPost(http.StatusAccepted, "refund.voided", saleRefund("ref_1", 2, "cus_web_1", "sale_1", 3000))
	s["version"] = 2
	e.mustPost(http.StatusAccepted, "sale.voided", s)
	e.drain()
	for _, k := range []billing.Kind{billing.KindRefund, billing.KindSale} {
		id := map[billing.Kind]string{billing.KindRefund: "ref_1", billing.KindSale: "sale_1"}[k]
		if got := e.status(k, id); got != "synced" {
			t.Errorf("%s/%s voided: %s, want synced", k, id, got)
		}
	}
	l = e.ledger()
	if cash := cashOf(l); cash["UndepositedFunds"] != "0.00" || cash["Checking"] != "0.00" || !l.Balanced {
		t.Errorf("after the voids: deposit %s, refund ledger %s (balanced %v); want 0.00 and 0.00", cash["UndepositedFunds"], cash["Checking"], l.Balanced)
	}
	if n := e.count("select count(*) from SalesReceipt"); n != 1 {
		t.Errorf("sales receipts = %d, want the one, voided", n)
	}
}

// A sale whose payer is already a QuickBooks customer: matched by e-mail,
// never by taking a customer another billing customer is linked to, and
// nothing is created. The customer's later event updates that customer.
func TestSaleMatchesQuickBooksCustomerByEmail(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "salematch")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_other", 1, "Whitfield Holdings", "dana@whitfield.example"))
	e.drain()
	theirs := e.qboCreate("Customer", map[string]any{"DisplayName": "Whitfield Design Studio",
		"PrimaryEmailAddr": map[string]any{"Address": "Dana@Whitfield.example"}})
	who := map[string]any{"display_name": "Dana Whitfield", "email": "dana@whitfield.example"}
	e.mustPost(http.StatusAccepted, "sale.created", sale("sale_1", 1, "cus_web_1", who, line{id: "l1", qty: "1", unit: 2500}))
	e.drain()
	if got := e.status(billing.KindSale, "sale_1"); got != "synced" {
		t.Fatalf("sale: %s, want synced", got)
	}
	receipts := e.objects("SalesReceipt", "select * from SalesReceipt")
	if len(receipts) != 1 || str(field(receipts[0], "CustomerRef", "value")) != str(theirs["Id"]) || str(receipts[0]["TotalAmt"]) != "25.00" {
		t.Fatalf("receipts = %v, want one of 25.00 for the existing customer %s", receipts, str(theirs["Id"]))
	}
	if n := e.count("select count(*) from Customer"); n != 2 {
		t.Errorf("customers = %d, want 2: nothing created", n)
	}

	// The billing customer's own event now updates the customer it was matched to.
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_web_1", 1, "Dana Whitfield", "dana@whitfield.example"))
	e.drain()
	if got := e.status(billing.KindCustomer, "cus_web_1"); got != "synced" {
		t.Fatalf("customer: %s, want synced", got)
	}
	matched := e.objects("Customer", "select * from Customer where Id = '"+str(theirs["Id"])+"'")
	if len(matched) != 1 || !strings.Contains(str(matched[0]["Notes"]), "[billing "+e.tenant+"/customer cus_web_1]") {
		t.Errorf("matched customer = %v, want it to carry cus_web_1's marker", matched)
	}
	if n := e.count("select count(*) from Customer"); n != 2 {
		t.Errorf("customers = %d, want 2", n)
	}
}

// A sale of a billing customer not yet sent waits for it, like an invoice.
func TestSaleWaitsForItsBillingCustomer(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "salewait")
	e.mustPost(http.StatusAccepted, "sale.created", sale("sale_1", 1, "cus_1", nil, line{id: "l1", qty: "1", unit: 1000}))
	e.drain()
	if got := e.status(billing.KindSale, "sale_1"); got != "waiting on customer/cus_1" {
		t.Fatalf("sale before its customer: %s, want waiting on customer/cus_1", got)
	}
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Late Co", "late@example.com"))
	e.drain()
	if got := e.status(billing.KindSale, "sale_1"); got != "synced" {
		t.Fatalf("sale after its customer: %s, want synced", got)
	}
	if n := e.count("select count(*) from SalesReceipt"); n != 1 {
		t.Errorf("sales receipts = %d, want 1", n)
	}
}

// Answers lost after QuickBooks committed the inline customer, the sales
// receipt and the refund receipt still end in one of each.
func TestSaleRetriesNeverDuplicate(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, fastStack(t), "salefaults")
	for _, entity := range []string{"Customer", "SalesReceipt", "RefundReceipt"} {
		e.fault(map[string]any{"entity": entity, "operation": "create", "drop_response": true})
	}
	e.fault(map[string]any{"entity": "SalesReceipt", "operation": "create", "status": 503})
	who := map[string]any{"display_name": "Lost Answer Co", "email": "lost@answer.example"}
	e.mustPost(http.StatusAccepted, "sale.created", sale("sale_1", 1, "cus_web_1", who, line{id: "l1", qty: "3", unit: 1250}))
	e.mustPost(http.StatusAccepted, "refund.created", saleRefund("ref_1", 1, "cus_web_1", "sale_1", 1250))
	e.drain()
	for k, id := range map[billing.Kind]string{billing.KindSale: "sale_1", billing.KindRefund: "ref_1"} {
		if got := e.status(k, id); got != "synced" {
			t.Errorf("%s/%s: %s, want synced", k, id, got)
		}
	}
	for stmt, want := range map[string]int{"select count(*) from Customer": 1,
		"select count(*) from SalesReceipt": 1, "select count(*) from RefundReceipt": 1} {
		if n := e.count(stmt); n != want {
			t.Errorf("%s = %d, want %d (a retry created a duplicate?)", stmt, n, want)
		}
	}
	if cash := cashOf(e.ledger()); cash["UndepositedFunds"] != "37.50" || cash["Checking"] != "-12.50" {
		t.Errorf("deposit %s, refund ledger %s; want 37.50 in, 12.50 out", cash["UndepositedFunds"], cash["Checking"])
	}
}
