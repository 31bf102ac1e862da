package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/qbopayment"
	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/store"
)

// importing is a tenant whose payments come from QuickBooks, with one
// synced customer and one synced invoice of 100.00, and its billing
// system's endpoint for events.
func importing(t *testing.T, tenant string) (*tenantEnv, *billingReceiver) {
	t.Helper()
	e := newTenant(t, newStack(t, devstack.Options{}), tenant)
	rcv := &billingReceiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	e.setEndpoint(srv.URL)
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Harbor Supply", "ap@harbor.example"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "INV-1", "posted",
		line{id: "l1", qty: "1", unit: 10000}))
	e.drain()
	e.setDirection(http.StatusOK, store.PaymentsFromQuickBooks)
	return e, rcv
}

// setDirection changes payments_direction through the admin API.
func (e *tenantEnv) setDirection(want int, dir string) map[string]any {
	e.t.Helper()
	status, out := callAPI(e.t, http.MethodPatch, e.stack.GatewayURL()+"/api/v1/tenants/"+e.tenant+"/settings",
		e.stack.AdminToken(e.tenant), map[string]any{"payments_direction": dir})
	if status != want {
		e.t.Fatalf("PATCH payments_direction=%s: %d %v, want %d", dir, status, out, want)
	}
	return out
}

// payInQuickBooks records a payment against inv_1 in QuickBooks, as a
// bookkeeper would there, and returns its id.
func (e *tenantEnv) payInQuickBooks(amount string) string {
	e.t.Helper()
	cus := linkOf(e.t, e.stack, e.tenant, billing.KindCustomer, "cus_1")
	inv := linkOf(e.t, e.stack, e.tenant, billing.KindInvoice, "inv_1")
	p := e.qboCreate("Payment", map[string]any{"CustomerRef": map[string]any{"value": cus}, "TotalAmt": json.Number(amount),
		"PaymentRefNum": "CHK-" + amount,
		"Line": []any{map[string]any{"Amount": json.Number(amount),
			"LinkedTxn": []any{map[string]any{"TxnId": inv, "TxnType": "Invoice"}}}}})
	return str(p["Id"])
}

// settleWebhooks waits until the simulator made at least n deliveries and
// none is still being retried, then drains the queues the deliveries fed.
func (e *tenantEnv) settleWebhooks(n int) []qbosim.Delivery {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, pending := e.stack.Sim().Deliveries()
		settled := pending == 0 && len(ds) >= n
		for _, d := range ds {
			settled = settled && d.Status != "failing"
		}
		if settled {
			e.drain()
			return ds
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("webhook deliveries did not settle: %d pending, %+v", pending, ds)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// paymentEvents are the quickbooks.payment.* events recorded for billing,
// by id.
func (e *tenantEnv) paymentEvents() map[string]recorded {
	e.t.Helper()
	out := map[string]recorded{}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(e.stack.Resources().Table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "T#" + e.tenant}, ":p": &types.AttributeValueMemberS{Value: "OB#"},
		},
	}
	res, err := e.stack.Deps().DynamoDB.Query(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, it := range res.Items {
		var r recorded
		if err := attributevalue.UnmarshalMap(it, &r); err != nil {
			e.t.Fatal(err)
		}
		if strings.HasPrefix(r.Type, "quickbooks.payment.") {
			if err := json.Unmarshal([]byte(r.Data), &r.data); err != nil {
				e.t.Fatalf("event %s data %s: %v", r.ID, r.Data, err)
			}
			out[r.ID] = r
		}
	}
	return out
}

type recorded struct {
	ID   string `dynamodbav:"id"`
	Type string `dynamodbav:"type"`
	Data string `dynamodbav:"data"`
	data struct {
		PaymentID  string `json:"payment_id"`
		CustomerID string `json:"customer_id"`
		Amount     string `json:"amount"`
		Currency   string `json:"currency"`
		Reference  string `json:"reference"`
		AppliedTo  []struct {
			InvoiceID string `json:"invoice_id"`
			Amount    string `json:"amount"`
		} `json:"applied_to"`
	}
}

// billingGot waits until billing accepted want payment events, then
// checks that it accepted each exactly once and that qbosync recorded no
// other: what billing acted on, by event id.
func (e *tenantEnv) billingGot(rcv *billingReceiver, want int) map[string]recorded {
	e.t.Helper()
	at := func() map[string][]received {
		out := map[string][]received{}
		for key, rs := range rcv.accepted() {
			if strings.HasPrefix(key, "evt_qbo_payment_") {
				out[key] = rs
			}
		}
		return out
	}
	waitFor(e.t.(*testing.T), 60*time.Second, fmt.Sprintf("%d payment events at billing", want), func() bool { return len(at()) >= want })
	e.drain()
	got := map[string]recorded{}
	for key, rs := range at() {
		if len(rs) != 1 {
			e.t.Errorf("billing accepted event %s %d times, want once", key, len(rs))
		}
		var r struct {
			ID, Type string
			Data     json.RawMessage
		}
		if err := json.Unmarshal(rs[0].body, &r); err != nil || r.ID != key {
			e.t.Fatalf("delivery %s: %s %v", key, rs[0].body, err)
		}
		rec := recorded{ID: r.ID, Type: r.Type, Data: string(r.Data)}
		if err := json.Unmarshal(r.Data, &rec.data); err != nil {
			e.t.Fatal(err)
		}
		got[key] = rec
	}
	if stored := e.paymentEvents(); len(stored) != len(got) || len(got) != want {
		e.t.Errorf("billing accepted %d payment events, qbosync recorded %d, want %d", len(got), len(stored), want)
	}
	return got
}

// wantOnePayment checks that billing got exactly one event for the
// payment: created, naming billing's customer and invoice and the amount.
func (e *tenantEnv) wantOnePayment(events map[string]recorded, paymentID, amount string) {
	e.t.Helper()
	var got []recorded
	for _, r := range events {
		if r.data.PaymentID == paymentID {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		e.t.Fatalf("events for QuickBooks payment %s: %+v, want exactly one", paymentID, got)
	}
	r := got[0]
	wantID := qbopayment.EventID(e.realm, paymentID, "0")
	d := r.data
	if r.ID != wantID || r.Type != "quickbooks.payment.created" || d.CustomerID != "cus_1" || d.Amount != amount ||
		d.Currency != "USD" || len(d.AppliedTo) != 1 || d.AppliedTo[0].InvoiceID != "inv_1" || d.AppliedTo[0].Amount != amount {
		e.t.Errorf("event %s %s %+v, want %s created for cus_1, %s USD applied to inv_1", r.ID, r.Type, d, wantID, amount)
	}
}

// A payment recorded in QuickBooks reaches billing once, whether Intuit
// delivers its notification once or twice, and the hourly sweep that
// sees it again adds nothing. A billing payment meanwhile is stored, not
// synced, and the answer says why.
func TestPaymentRecordedInQuickBooksReachesBillingOnce(t *testing.T) {
	e, rcv := importing(t, "qbpay")
	before, _ := e.stack.Sim().Deliveries()

	first := e.payInQuickBooks("40.00")
	e.settleWebhooks(len(before) + 1)
	e.wantOnePayment(e.billingGot(rcv, 1), first, "40.00")

	e.stack.Sim().AddWebhookFaults(qbosim.WebhookFaults{Duplicate: 1})
	second := e.payInQuickBooks("25.50")
	ds := e.settleWebhooks(len(before) + 2)
	if last := ds[len(ds)-1]; !last.Duplicated || last.Status != "delivered" {
		t.Fatalf("last delivery %+v, want one delivered twice", last)
	}
	e.wantOnePayment(e.billingGot(rcv, 2), second, "25.50")

	if err := e.stack.RunScheduler(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.drain()
	events := e.billingGot(rcv, 2)
	e.wantOnePayment(events, first, "40.00")
	e.wantOnePayment(events, second, "25.50")

	// Billing's own payment is not synced while payments come from
	// QuickBooks: the answer and the entity's status say why.
	status, out := e.post("", "payment.created", map[string]any{"id": "pay_b1", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-22", "amount": 1000, "currency": "USD", "method": "check",
		"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 1000}}})
	if status != http.StatusAccepted || out["status"] != "skipped" || !strings.Contains(str(out["reason"]), "from_quickbooks") {
		t.Fatalf("billing payment: %d %v, want 202 skipped with the reason", status, out)
	}
	e.drain()
	if st := e.status(billing.KindPayment, "pay_b1"); !strings.HasPrefix(st, "skipped:") || !strings.Contains(st, "from_quickbooks") {
		t.Errorf("billing payment status %q, want skipped with the reason", st)
	}
	if n := e.count("select count(*) from Payment"); n != 2 {
		t.Errorf("%d payments in QuickBooks, want the 2 recorded there", n)
	}
}

// A notification Intuit never delivered is found by the hourly change
// data capture sweep, once.
func TestDroppedPaymentWebhookFoundByChangeDataCapture(t *testing.T) {
	e, rcv := importing(t, "qbdrop")
	before, _ := e.stack.Sim().Deliveries()
	e.stack.Sim().AddWebhookFaults(qbosim.WebhookFaults{Drop: 1})
	id := e.payInQuickBooks("60.00")
	ds := e.settleWebhooks(len(before) + 1)
	if last := ds[len(ds)-1]; last.Status != "dropped" {
		t.Fatalf("last delivery %+v, want dropped", last)
	}
	if events := e.paymentEvents(); len(events) != 0 || len(rcv.requests()) != 0 {
		t.Fatalf("events before the sweep: %+v, %d at billing, want none (the notification was lost)", events, len(rcv.requests()))
	}
	for range 2 {
		if err := e.stack.RunScheduler(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.drain()
	}
	e.wantOnePayment(e.billingGot(rcv, 1), id, "60.00")
	// The import is why switching back is refused.
	out := e.setDirection(http.StatusConflict, store.PaymentsToQuickBooks)
	if out["error"] != "payments_direction_unsafe" || !strings.Contains(str(out["message"]), "already sent to billing") {
		t.Errorf("switch back: %v", out)
	}
}

// Switching to from_quickbooks is refused while billing payments are
// synced to QuickBooks: they would come back to billing.
func TestSwitchToPaymentsFromQuickBooksRefusedWhileUnsafe(t *testing.T) {
	e := newTenant(t, newStack(t, devstack.Options{}), "qbswitch")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Harbor Supply", "ap@harbor.example"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "INV-1", "posted",
		line{id: "l1", qty: "1", unit: 10000}))
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-22", "amount": 1000, "currency": "USD", "method": "check",
		"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 1000}}})
	e.drain()
	out := e.setDirection(http.StatusConflict, store.PaymentsFromQuickBooks)
	msg := str(out["message"])
	if out["error"] != "payments_direction_unsafe" || !strings.Contains(msg, "1 billing payments are synced") || !strings.Contains(msg, "1 synced") {
		t.Fatalf("refusal %v", out)
	}
	tn, err := e.stack.Store().Tenant(context.Background(), e.tenant)
	if err != nil || tn.Settings.PaymentsDirection != "" {
		t.Errorf("settings after the refusal: %+v %v, want unchanged", tn.Settings, err)
	}
	// The payment Intuit announces for this tenant is not imported.
	e.settleWebhooks(1)
	if events := e.paymentEvents(); len(events) != 0 {
		t.Errorf("events: %+v, want none in to_quickbooks", events)
	}
}

// Intuit's endpoint refuses a delivery whose signature is wrong, and
// accepts the legacy eventNotifications shape signed with the verifier
// token: the payment it names reaches billing.
func TestIntuitWebhookSignatureAndLegacyShape(t *testing.T) {
	e, rcv := importing(t, "qbsig")
	before, _ := e.stack.Sim().Deliveries()
	// The simulator's own notification is lost: only the legacy delivery
	// below names the payment.
	e.stack.Sim().AddWebhookFaults(qbosim.WebhookFaults{Drop: 1})
	id := e.payInQuickBooks("10.00")
	e.settleWebhooks(len(before) + 1)
	cfg, ok := e.stack.Sim().Webhooks()
	if !ok {
		t.Fatal("the dev stack subscribed no webhook endpoint")
	}
	body := []byte(fmt.Sprintf(`{"eventNotifications":[{"realmId":%q,"dataChangeEvent":{"entities":[`+
		`{"name":"Payment","id":%q,"operation":"Create","lastUpdated":"2026-12-01T10:00:00.000Z"}]}}]}`, e.realm, id))
	post := func(sig string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, e.stack.GatewayURL()+"/v1/intuit/webhooks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("intuit-signature", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	for _, sig := range []string{"", qbosim.Sign("not-the-verifier-token", body), qbosim.Sign(cfg.VerifierToken, body[1:])} {
		if status, out := post(sig); status != http.StatusUnauthorized || out["error"] != "invalid_signature" {
			t.Errorf("signature %q: %d %v, want 401 invalid_signature", sig, status, out)
		}
	}
	status, out := post(qbosim.Sign(cfg.VerifierToken, body))
	if status != http.StatusOK || out["received"] != 1.0 || out["queued"] != 1.0 {
		t.Fatalf("legacy delivery: %d %v, want 200 received 1 queued 1", status, out)
	}
	if status, out = post(qbosim.Sign(cfg.VerifierToken, body)); status != http.StatusOK || out["queued"] != 0.0 {
		t.Errorf("the same legacy delivery again: %d %v, want 200 queued 0", status, out)
	}
	e.drain()
	e.wantOnePayment(e.billingGot(rcv, 1), id, "10.00")
}

// An invoice paid off by payments recorded in QuickBooks is announced to
// billing as one quickbooks.invoice.paid as soon as Intuit's notification
// of the paying payment is handled: no reconciliation runs, and a partial
// payment announces nothing.
func TestInvoicePaidInQuickBooksIsAnnouncedWithoutReconciliation(t *testing.T) {
	e, rcv := importing(t, "qbpaid")
	before, _ := e.stack.Sim().Deliveries()
	paidEvents := func() []received {
		var out []received
		for key, rs := range rcv.accepted() {
			if strings.HasPrefix(key, "evt_qbo_paid_") {
				out = append(out, rs...)
			}
		}
		return out
	}

	e.payInQuickBooks("60.00")
	e.settleWebhooks(len(before) + 1)
	e.billingGot(rcv, 1)
	if got := paidEvents(); len(got) != 0 {
		t.Fatalf("after 60.00 of 100.00: %d invoice.paid events, want none", len(got))
	}

	e.payInQuickBooks("40.00")
	e.settleWebhooks(len(before) + 2)
	e.billingGot(rcv, 2)
	waitFor(t, 30*time.Second, "inv_1's invoice.paid at billing", func() bool { return len(paidEvents()) > 0 })
	got := paidEvents()
	var paid struct {
		Type string
		Data map[string]string
	}
	if len(got) != 1 || json.Unmarshal(got[0].body, &paid) != nil {
		t.Fatalf("invoice.paid deliveries accepted: %d, want exactly one", len(got))
	}
	if paid.Type != "quickbooks.invoice.paid" || paid.Data["invoice_id"] != "inv_1" || paid.Data["customer_id"] != "cus_1" ||
		paid.Data["total"] != "100.00" || paid.Data["doc_number"] != "INV-1" {
		t.Errorf("event %s %v, want quickbooks.invoice.paid of inv_1 (INV-1, cus_1) for 100.00", paid.Type, paid.Data)
	}
}
