package browsertest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/outbound"
)

// TestAdminSetsUpEventsToBillingInBrowser: an admin points the events at
// billing's endpoint and sees the signing secret once; an event billing
// refused shows its answer in the delivery log, and Redeliver sends it
// again. Then the QuickBooks customers not in billing are imported and
// one is linked to a billing customer.
func TestAdminSetsUpEventsToBillingInBrowser(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	var refused atomic.Bool
	refused.Store(true)
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if refused.Load() {
			http.Error(w, "unknown tenant key", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)

	b := newBrowser(t)
	b.do("open the admin link", chromedp.Navigate(e.URL+"/admin#token="+e.Token(t, "acme", "ann@acme.example")))
	b.waitText("#ov-rows", "Customers")
	b.click(`#nav a[href="#/events"]`)
	b.waitText("#dl-empty:not([hidden])", "No events yet.")
	b.do("type the endpoint", chromedp.SendKeys(chromedp.CSS("#ep-url"), srv.URL+"/hooks", chromedp.NodeVisible))
	b.click(`#ep-form button[type="submit"]`)
	b.waitText("#ep-secret:not([hidden])", "shown once")
	b.waitText("#ep-secrets", "obs_")
	b.screenshot("events-endpoint")

	data, _ := json.Marshal(map[string]string{"invoice_id": "inv_1", "doc_number": "INV-77", "total": "10.00"})
	if err := e.Stack.Outbound().Record(context.Background(), outbound.Event{ID: "evt_qbo_paid_000000000000000000000001", Tenant: "acme",
		Type: outbound.TypeInvoicePaid, OccurredAt: time.Now(), Data: data}); err != nil {
		t.Fatal(err)
	}
	b.do("reload the log", chromedp.Navigate(e.URL+"/admin#/overview"), chromedp.Navigate(e.URL+"/admin#/events"))
	for deadline := time.Now().Add(30 * time.Second); got.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	b.do("reload the log", chromedp.Navigate(e.URL+"/admin#/overview"), chromedp.Navigate(e.URL+"/admin#/events"))
	b.waitText("#dl-rows", "Invoice paid INV-77")
	b.waitText("#dl-rows", "HTTP 401: unknown tenant key")
	b.screenshot("events-log")
	refused.Store(false)
	b.click("#dl-rows button")
	b.waitText("#live", "redelivery scheduled")
	for deadline := time.Now().Add(30 * time.Second); got.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	b.do("reload the log", chromedp.Navigate(e.URL+"/admin#/overview"), chromedp.Navigate(e.URL+"/admin#/events"))
	b.waitText("#dl-rows", "Delivered")

	// A QuickBooks customer billing does not have, linked to a new billing customer.
	acme.CreateQBOCustomer(t, "Harbor Supplies", "ap@harbor.example")
	if status, body := e.Do(t, http.MethodPatch, "/api/v1/tenants/acme/settings", e.Token(t, "acme", "ann@acme.example"),
		map[string]string{"customer_mode": "manual"}); status != http.StatusOK {
		t.Fatalf("manual customer mode: %d %s", status, body)
	}
	acme.Post(t, "customer.created", admintest.Customer("cus_harbor", "Harbor Supplies Inc", "billing@harbor.example"))
	b.click(`#nav a[href="#/qbo-customers"]`)
	b.waitText("#qc-last", "Not imported yet.")
	b.click("#qc-import")
	b.waitText("#qc-rows", "Harbor Supplies")
	b.screenshot("qbo-customers")
	b.do("link to the billing customer", chromedp.SendKeys(chromedp.CSS(`#qc-rows input[aria-label="Billing customer id for Harbor Supplies"]`),
		"cus_harbor\r", chromedp.NodeVisible))
	b.waitText("#live", "Harbor Supplies linked to billing customer cus_harbor")
	acme.Drain(t)
	if strings.Contains(b.text("#qc-rows"), "Harbor Supplies") {
		t.Error("Harbor Supplies is still listed after it was linked")
	}
	link, err := e.Stack.Store().Link(context.Background(), "acme", billing.KindCustomer, "cus_harbor")
	if err != nil || !link.Linked() {
		t.Fatalf("cus_harbor link = %+v, %v; want linked", link, err)
	}
	if rows := acme.QueryQBO(t, "Customer", "select * from Customer where Id = '"+link.QBOID+"'"); len(rows) != 1 || rows[0]["DisplayName"] == nil {
		t.Errorf("QuickBooks customer %s: %v", link.QBOID, rows)
	}
}
