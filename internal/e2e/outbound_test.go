package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/outbound"
)

// billingReceiver is a billing system's endpoint for qbosync's events:
// it refuses the first refuse requests (billing deploying), then accepts,
// and keeps every request it was sent.
type billingReceiver struct {
	mu     sync.Mutex
	refuse int
	got    []received
}

type received struct {
	key, signature string
	body           []byte
	accepted       bool
}

func (b *billingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	defer b.mu.Unlock()
	rec := received{key: r.Header.Get(outbound.IdempotencyHeader), signature: r.Header.Get(billing.SignatureHeader), body: body}
	rec.accepted = len(b.got) >= b.refuse
	b.got = append(b.got, rec)
	if !rec.accepted {
		http.Error(w, "deploying, try later", http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (b *billingReceiver) requests() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.got...)
}

// accepted lists the events the receiver accepted, by idempotency key:
// what billing acted on.
func (b *billingReceiver) accepted() map[string][]received {
	out := map[string][]received{}
	for _, r := range b.requests() {
		if r.accepted {
			out[r.key] = append(out[r.key], r)
		}
	}
	return out
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setEndpoint points the tenant's events at url through the admin API and
// returns the signing secret made with it.
func (e *tenantEnv) setEndpoint(url string) string {
	e.t.Helper()
	status, out := callAPI(e.t, http.MethodPut, e.stack.GatewayURL()+"/api/v1/tenants/"+e.tenant+"/outbound/endpoint",
		e.stack.AdminToken(e.tenant), map[string]string{"url": url})
	secret, _ := field(out, "secret", "value").(string)
	if status != http.StatusOK || secret == "" {
		e.t.Fatalf("PUT outbound endpoint: %d %v", status, out)
	}
	return secret
}

// deliveries reads the tenant's delivery log through the admin API.
func (e *tenantEnv) deliveries() []map[string]any {
	e.t.Helper()
	status, out := callAPI(e.t, http.MethodGet, e.stack.GatewayURL()+"/api/v1/tenants/"+e.tenant+"/outbound/deliveries",
		e.stack.AdminToken(e.tenant), nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET deliveries: %d %v", status, out)
	}
	var list []map[string]any
	for _, d := range out["deliveries"].([]any) {
		list = append(list, d.(map[string]any))
	}
	return list
}

// CRM Connect's review request: an invoice paid in full in QuickBooks
// (by a payment an accountant recorded there, or by a payment synced from
// billing) reaches billing as one quickbooks.invoice.paid, delivered
// through a receiver that refuses twice before accepting, with one
// idempotency key and a signature billing verifies; reconciling again
// sends nothing more.
func TestInvoicePaidReachesBillingOnce(t *testing.T) {
	s := newStack(t, devstack.Options{OutboundRetryFirst: time.Second})
	crm := newTenant(t, s, "crm")
	rcv := &billingReceiver{refuse: 2}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	secret := crm.setEndpoint(srv.URL + "/qbosync")

	crm.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Ada Books", "ada@example.com"))
	crm.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	crm.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "R-1", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 10000}))
	crm.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_2", 1, "cus_1", "R-2", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 5000}))
	crm.drain()
	crm.reconcile()

	// The accountant records the customer's cheque in QuickBooks.
	inv1 := crm.marked("Invoice", "invoice inv_1")
	crm.accountantWrite("payment", map[string]any{"CustomerRef": inv1["CustomerRef"], "TotalAmt": "100.00", "TxnDate": "2026-11-25",
		"Line": []any{map[string]any{"Amount": "100.00", "LinkedTxn": []any{map[string]any{"TxnId": inv1["Id"], "TxnType": "Invoice"}}}}})
	crm.reconcile()
	waitFor(t, 30*time.Second, "inv_1's event accepted", func() bool { return len(rcv.accepted()) == 1 })

	got := rcv.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (refused twice, then accepted)", len(got))
	}
	var paid struct {
		ID, Type string
		Data     map[string]string
	}
	for i, r := range got {
		if err := json.Unmarshal(r.body, &paid); err != nil {
			t.Fatal(err)
		}
		if r.key != got[0].key || paid.ID != r.key {
			t.Errorf("request %d: idempotency key %q, body id %q; want one key for every attempt, %q", i, r.key, paid.ID, got[0].key)
		}
		if err := billing.VerifySignature(r.signature, r.body, [][]byte{[]byte(secret)}, time.Now()); err != nil {
			t.Errorf("request %d: the signature does not verify under the endpoint's secret", i)
		}
	}
	if paid.Type != "quickbooks.invoice.paid" || paid.Data["invoice_id"] != "inv_1" || paid.Data["total"] != "100.00" ||
		paid.Data["customer_id"] != "cus_1" || paid.Data["doc_number"] != "R-1" || paid.Data["qbo_invoice_id"] != str(inv1["Id"]) {
		t.Errorf("event %s %v, want quickbooks.invoice.paid of inv_1 (R-1) for 100.00", paid.Type, paid.Data)
	}
	log := crm.deliveries()
	if len(log) != 1 || log[0]["status"] != "delivered" || log[0]["attempts"] != float64(3) ||
		field(log[0], "last_answer", "status") != float64(204) || len(log[0]["answers"].([]any)) != 3 {
		t.Errorf("delivery log = %v, want the one event delivered after 3 attempts, last answered 204", log)
	}

	// Billing's own payment of inv_2, synced to QuickBooks, pays it too.
	crm.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_2", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-26", "amount": 5000, "currency": "USD", "method": "card",
		"applications": []map[string]any{{"invoice_id": "inv_2", "amount": 5000}}})
	crm.drain()
	crm.reconcile()
	crm.reconcile()
	waitFor(t, 30*time.Second, "inv_2's event accepted", func() bool { return len(rcv.accepted()) == 2 })
	time.Sleep(2 * time.Second) // what a duplicate would need to arrive
	byInvoice := map[string]int{}
	for key, rs := range rcv.accepted() {
		if len(rs) != 1 {
			t.Errorf("event %s accepted %d times, want once", key, len(rs))
		}
		var ev struct{ Data map[string]string }
		_ = json.Unmarshal(rs[0].body, &ev)
		byInvoice[ev.Data["invoice_id"]]++
	}
	if byInvoice["inv_1"] != 1 || byInvoice["inv_2"] != 1 || len(byInvoice) != 2 {
		t.Errorf("invoices paid, as billing learnt them: %v; want inv_1 and inv_2 once each", byInvoice)
	}
}
