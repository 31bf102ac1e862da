package browsertest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// TestAdminRedrivesDeadLettersInBrowser: a customer's message failed all
// its receives and sits in the dead-letter queue. The admin sees the count
// on the overview, opens the list, clicks Redrive and finds the customer
// synced into QuickBooks.
func TestAdminRedrivesDeadLettersInBrowser(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	ctx := context.Background()
	data, _ := json.Marshal(admintest.Customer("cus_dead", "Dead Letter Ltd", "ap@dead.example"))
	if err := e.Stack.Store().PutSnapshot(ctx, store.Snapshot{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_dead", Version: 1,
		CustomerID: "cus_dead", Action: "created", EventID: "evt_dead", OccurredAt: time.Now(), ReceivedAt: time.Now(), Data: data}); err != nil {
		t.Fatal(err)
	}
	body := `{"tenant":"acme","kind":"customer","id":"cus_dead","customer_id":"cus_dead","version":1,"event_id":"evt_dead","reason":"webhook"}`
	if err := e.Stack.PutDeadLetter(ctx, billing.KindCustomer, "acme#cus_dead", body); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	b.do("open the admin link", chromedp.Navigate(e.URL+"/admin#token="+e.Token(t, "acme", "ann@acme.example")))
	b.waitText("#ov-dead:not([hidden])", "1 message failed every delivery attempt")
	b.screenshot("overview-dead-letters")

	b.click(`#ov-dead a[href="#/dead-letters"]`)
	b.waitText("#dead-rows", "Customer cus_dead")
	b.waitText("#dead-summary", "By queue: Customer 1")
	b.screenshot("dead-letters")
	b.click("#dead-redrive")
	b.waitText("#dead-empty:not([hidden])", "No dead letters.")
	acme.Drain(t)

	b.do("open the customer", chromedp.Navigate(e.URL+"/admin#/entity/customer/cus_dead"))
	b.waitText("#entity-facts", "Synced")
	if rows := acme.QueryQBO(t, "Customer", "select * from Customer where DisplayName = 'Dead Letter Ltd'"); len(rows) != 1 {
		t.Errorf("QuickBooks has %d customers named Dead Letter Ltd, want 1", len(rows))
	}
	b.do("open the audit log", chromedp.Navigate(e.URL+"/admin#/audit"))
	b.waitText("#audit-rows", "redrive dead letters (1)")
	b.screenshot("audit-redrive")
}
