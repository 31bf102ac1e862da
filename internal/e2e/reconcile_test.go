package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// accountantWrite sends one write to the simulator's Accounting API with
// the tenant's own token, as an accountant's tool would, and returns the
// object written.
func (e *tenantEnv) accountantWrite(path string, body map[string]any) map[string]any {
	e.t.Helper()
	conn, err := e.stack.Store().Connection(context.Background(), e.tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	u := fmt.Sprintf("%s/v3/company/%s/%s", e.stack.QBOURL(), e.realm, path)
	if strings.Contains(u, "?") {
		u += "&minorversion=75"
	} else {
		u += "?minorversion=75"
	}
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("accountant's %s: %d %s", path, resp.StatusCode, b)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// marked returns the live QBO object of entity carrying billing's marker.
func (e *tenantEnv) marked(entity, mark string) map[string]any {
	e.t.Helper()
	for _, o := range e.objects(entity, "select * from "+entity) {
		if markerOf(o) == mark {
			return o
		}
	}
	e.t.Fatalf("no %s with marker [billing %s]", entity, mark)
	return nil
}

// reconcile runs the tenant's reconciliation through the admin API.
func (e *tenantEnv) reconcile() map[string]any {
	e.t.Helper()
	u := e.stack.GatewayURL() + "/api/v1/tenants/" + e.tenant + "/reconciliation"
	status, out := callAPI(e.t, http.MethodPost, u, e.stack.AdminToken(e.tenant), nil)
	if status != http.StatusAccepted {
		e.t.Fatalf("POST reconciliation: %d %v", status, out)
	}
	status, got := callAPI(e.t, http.MethodGet, u, e.stack.AdminToken(e.tenant), nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET reconciliation: %d %v", status, got)
	}
	return got
}

func (e *tenantEnv) history() {
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Ada Books", "ada@example.com"))
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_2", 1, "Bob Ledger", "bob@example.com"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "R-1", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 10000}))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_2", 1, "cus_1", "R-2", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 5000}))
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_3", 1, "cus_2", "R-3", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 8000}))
	e.drain()
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-22", "amount": 3000, "currency": "USD", "method": "card",
		"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 3000}}})
	e.mustPost(http.StatusAccepted, "credit.created", map[string]any{"id": "cr_1", "version": 1, "customer_id": "cus_2",
		"issued_on": "2026-11-22", "amount": 2000, "currency": "USD", "reason": "Goodwill", "applications": []any{}})
	e.drain()
	for _, r := range []billing.Ref{{Kind: "invoice", ID: "inv_1"}, {Kind: "invoice", ID: "inv_2"}, {Kind: "invoice", ID: "inv_3"},
		{Kind: "payment", ID: "pay_1"}, {Kind: "credit", ID: "cr_1"}} {
		if got := e.status(r.Kind, r.ID); got != "synced" {
			e.t.Fatalf("%s before any change in QuickBooks: %s", r, got)
		}
	}
}

func driftLines(rec map[string]any) []string {
	var out []string
	for _, d := range rec["drift"].([]any) {
		m := d.(map[string]any)
		out = append(out, fmt.Sprintf("%s/%s %s: billing %s, quickbooks %s", m["kind"], m["id"], m["field"], m["billing"], m["quickbooks"]))
	}
	sort.Strings(out)
	return out
}

func customerLines(rec map[string]any) []string {
	var out []string
	for _, c := range rec["customers"].([]any) {
		m := c.(map[string]any)
		out = append(out, fmt.Sprintf("%s %s: open A/R %s/%s, unapplied %s/%s", m["customer_id"], m["status"],
			m["billing_open_ar"], m["qbo_open_ar"], m["billing_unapplied"], m["qbo_unapplied"]))
	}
	return out
}

func totalLines(rec map[string]any) []string {
	var out []string
	for _, c := range rec["totals"].([]any) {
		m := c.(map[string]any)
		out = append(out, fmt.Sprintf("%s: %v %s / %v %s", m["kind"], m["billing_count"], m["billing_amount"], m["qbo_count"], m["qbo_amount"]))
	}
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestReconciliationFindsAnAccountantsChanges syncs a history into two
// companies, has an accountant change one of them in QuickBooks (an
// invoice's amount edited, a payment voided, a payment recorded against
// an invoice, a credit memo deleted), and checks that reconciliation
// reports exactly those drifts and the receivables they broke, marks the
// entities drifted, and finds nothing on the untouched tenant.
func TestReconciliationFindsAnAccountantsChanges(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	books, quiet := newTenant(t, s, "books"), newTenant(t, s, "quiet")
	books.history()
	quiet.history()

	matched := []string{
		"cus_1 matched: open A/R 120.00/120.00, unapplied 0.00/0.00",
		"cus_2 matched: open A/R 80.00/80.00, unapplied 20.00/20.00",
	}
	// The hourly scheduler reconciles every connected tenant.
	if err := s.RunScheduler(context.Background()); err != nil {
		t.Fatalf("scheduler: %v", err)
	}
	status, hourly := callAPI(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/quiet/reconciliation", s.AdminToken("quiet"), nil)
	if status != http.StatusOK || hourly["as_of"] == nil {
		t.Fatalf("reconciliation after the scheduler's pass: %d %v", status, hourly)
	}
	sameLines(t, "quiet customers after the scheduler's pass", customerLines(hourly), matched)
	for _, e := range []*tenantEnv{books, quiet} {
		rec := e.reconcile()
		sameLines(t, e.tenant+" drift after the sync", driftLines(rec), nil)
		sameLines(t, e.tenant+" customers after the sync", customerLines(rec), matched)
	}

	inv2 := books.marked("Invoice", "invoice inv_2")
	item := field(inv2["Line"].([]any)[0], "SalesItemLineDetail", "ItemRef", "value")
	books.accountantWrite("invoice", map[string]any{"Id": inv2["Id"], "SyncToken": inv2["SyncToken"], "sparse": true,
		"Line": []any{map[string]any{"Amount": "70.00", "DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": item}, "Qty": "1", "UnitPrice": "70.00"}}}})
	pay := books.marked("Payment", "payment pay_1")
	books.accountantWrite("payment?operation=update&include=void", map[string]any{"Id": pay["Id"], "SyncToken": pay["SyncToken"], "sparse": true})
	inv3 := books.marked("Invoice", "invoice inv_3")
	books.accountantWrite("payment", map[string]any{"CustomerRef": inv3["CustomerRef"], "TotalAmt": "25.00", "TxnDate": "2026-11-25",
		"Line": []any{map[string]any{"Amount": "25.00", "LinkedTxn": []any{map[string]any{"TxnId": inv3["Id"], "TxnType": "Invoice"}}}}})
	memo := books.marked("CreditMemo", "credit cr_1")
	books.accountantWrite("creditmemo?operation=delete", map[string]any{"Id": memo["Id"], "SyncToken": memo["SyncToken"]})

	s.ResetCounts()
	rec := books.reconcile()
	got := driftLines(rec)
	want := []string{
		"credit/cr_1 status: billing issued, quickbooks deleted",
		"invoice/inv_1 balance: billing 70.00, quickbooks 100.00",
		"invoice/inv_2 amount: billing 50.00, quickbooks 70.00",
		"invoice/inv_2 balance: billing 50.00, quickbooks 70.00",
		"invoice/inv_2 lines: billing 1 line: 50.00, quickbooks 1 line: 70.00",
		"invoice/inv_3 balance: billing 80.00, quickbooks 55.00",
		"invoice/inv_3 payment: billing none, quickbooks Payment %s applies 25.00",
		"payment/pay_1 status: billing recorded, quickbooks voided",
	}
	if len(got) == len(want) {
		var qboPay string
		fmt.Sscanf(strings.TrimPrefix(got[6], "invoice/inv_3 payment: billing none, quickbooks Payment "), "%s", &qboPay)
		want[6] = fmt.Sprintf(want[6], qboPay)
	}
	sameLines(t, "drift after the accountant's changes", got, want)
	sameLines(t, "customers after the accountant's changes", customerLines(rec), []string{
		"cus_1 mismatched: open A/R 120.00/170.00, unapplied 0.00/0.00",
		"cus_2 mismatched: open A/R 80.00/55.00, unapplied 20.00/0.00",
	})
	sameLines(t, "totals after the accountant's changes", totalLines(rec), []string{
		"invoice: 3 230.00 / 3 250.00",
		"payment: 1 30.00 / 0 0.00",
		"credit: 1 20.00 / 0 0.00",
	})
	for _, r := range []billing.Ref{{Kind: "invoice", ID: "inv_2"}, {Kind: "invoice", ID: "inv_3"}, {Kind: "payment", ID: "pay_1"}, {Kind: "credit", ID: "cr_1"}} {
		if got := books.status(r.Kind, r.ID); !strings.HasPrefix(got, "drifted: drifted Changed in QuickBooks") {
			t.Errorf("%s after the accountant changed it: %s, want drifted", r, got)
		}
	}
	if got := books.status("invoice", "inv_1"); got != "synced" {
		t.Errorf("inv_1, whose balance moved only because its payment was voided: %s, want synced", got)
	}
	if n := devstack.Total(s.Counts().QBO); n != 1 {
		t.Errorf("the second reconciliation sent %d QuickBooks requests (%s), want 1 (CDC)", n, breakdown(s.Counts().QBO))
	}

	rec = quiet.reconcile()
	sameLines(t, "untouched tenant's drift", driftLines(rec), nil)
	sameLines(t, "untouched tenant's customers", customerLines(rec), matched)

	// The answers: billing's version pushed again for the edited invoice
	// and the deleted credit memo; QuickBooks' kept for the payment entered
	// there and the voided one, with reasons.
	api := s.GatewayURL() + "/api/v1/tenants/books/entities/"
	token := s.AdminToken("books")
	for _, path := range []string{"invoice/inv_2/push", "credit/cr_1/push"} {
		if status, out := callAPI(t, http.MethodPost, api+path, token, nil); status != http.StatusAccepted {
			t.Fatalf("POST %s: %d %v", path, status, out)
		}
	}
	for _, path := range []string{"invoice/inv_3/accept", "payment/pay_1/accept"} {
		if status, out := callAPI(t, http.MethodPost, api+path, token, map[string]string{"reason": "the customer paid by cheque; billing follows"}); status != http.StatusOK {
			t.Fatalf("POST %s: %d %v", path, status, out)
		}
	}
	books.drain()
	rec = books.reconcile()
	// What was accepted stays a fact of the books; the entities are dismissed.
	sameLines(t, "drift after the answers", driftLines(rec), []string{want[1], want[5], want[6], want[7]})
	for ref, want := range map[billing.Ref]string{{Kind: "invoice", ID: "inv_2"}: "synced", {Kind: "credit", ID: "cr_1"}: "synced",
		{Kind: "invoice", ID: "inv_3"}: "dismissed", {Kind: "payment", ID: "pay_1"}: "dismissed"} {
		if got := books.status(ref.Kind, ref.ID); !strings.HasPrefix(got, want) {
			t.Errorf("%s after the answers: %s, want %s", ref, got, want)
		}
	}
	if got := str(books.marked("Invoice", "invoice inv_2")["TotalAmt"]); got != "50.00" && got != "50" {
		t.Errorf("inv_2 in QuickBooks after billing's version was pushed: TotalAmt %s, want 50.00", got)
	}
	status, audit := callAPI(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/books/audit", token, nil)
	if status != http.StatusOK || !strings.Contains(fmt.Sprint(audit), "accept_quickbooks") || !strings.Contains(fmt.Sprint(audit), "push_again") {
		t.Errorf("audit log: %d %v, want push_again and accept_quickbooks entries", status, audit)
	}
}
