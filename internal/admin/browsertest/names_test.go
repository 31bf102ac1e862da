package browsertest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/qbosync/qbosync/internal/admin/admintest"
)

// TestPageNamesWhatAPersonKnows: lists and details show the invoice
// number, customer name, amount and date; an invoice for a customer
// billing never sent says so and is counted apart instead of an endless
// progress bar; "Open in QuickBooks" opens the simulator's own page; a
// customer waiting for Connect gets that advice; and the last page's
// message does not follow to the next page.
func TestPageNamesWhatAPersonKnows(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	acme.Post(t, "customer.created", admintest.Customer("cus_1", "Acme Corp", "ap@acme.example"))
	acme.Drain(t)
	acme.Post(t, "invoice.created", admintest.Invoice("inv_1", "cus_1", "A-100", 5025))
	acme.Post(t, "invoice.created", admintest.Invoice("inv_9", "cus_nope", "A-999", 1000))
	acme.Drain(t)
	tok := e.Token(t, "acme", "ann@acme.example")
	if status, body := e.Do(t, http.MethodPatch, "/api/v1/tenants/acme/settings", tok, map[string]string{"customer_mode": "manual"}); status != http.StatusOK {
		t.Fatalf("manual customer mode: %d %s", status, body)
	}
	acme.Post(t, "customer.created", admintest.Customer("cus_2", "Initech", "ap@initech.example"))
	acme.Drain(t)

	b := newBrowser(t)
	b.do("open the admin link", chromedp.Navigate(e.URL+"/admin#token="+tok))
	b.waitText("#ov-rows", "Invoices")
	b.waitText("#ov-queued-sub", "1 more wait on what billing never sent")
	if got := b.text("#ov-queued"); got != "0" {
		t.Errorf("queued = %q, want 0: the invoice for cus_nope cannot progress", got)
	}
	hidden, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("ov-progress").hidden`))
	if err != nil || !hidden {
		t.Errorf("the progress bar shows for an invoice whose customer billing never sent (hidden=%v, %v)", hidden, err)
	}
	b.screenshot("overview-parent-missing")

	b.do("list waiting", chromedp.Navigate(e.URL+"/admin#/review?status=waiting"))
	b.waitText("#list-rows", "cus_nope, which billing never sent")
	b.waitText("#list-rows", "A-999")
	b.do("list synced invoices", chromedp.Navigate(e.URL+"/admin#/review?status=synced&kind=invoice"))
	b.waitText("#list-rows", "A-100 · Acme Corp · 50.25 USD · 2026-11-21")
	b.screenshot("list-with-names")

	b.do("open the invoice", chromedp.Navigate(e.URL+"/admin#/entity/invoice/inv_1"))
	b.waitText("#entity-facts", "Invoice number")
	facts := b.text("#entity-facts")
	for _, want := range []string{"A-100", "Acme Corp (cus_1)", "50.25 USD", "2026-11-21", "Open in QuickBooks"} {
		if !strings.Contains(facts, want) {
			t.Errorf("invoice facts lack %q:\n%s", want, facts)
		}
	}
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#entity-facts a[target=_blank]").href`))
	if err != nil || !strings.HasPrefix(href, e.Stack.QBOURL()+"/_sim/companies/") {
		t.Fatalf("Open in QuickBooks points at %q (%v), want the simulator's page", href, err)
	}
	b.click(`#entity-actions button.primary`) // Resend: a message appears
	b.waitText("#live", "sent again")
	b.do("go to the overview", chromedp.Navigate(e.URL+"/admin#/overview"))
	b.waitText("#ov-rows", "Invoices")
	if got := b.text("#live"); got != "" {
		t.Errorf("the invoice page's message follows to the overview: %q", got)
	}

	b.do("open the customer waiting for Connect", chromedp.Navigate(e.URL+"/admin#/entity/customer/cus_2"))
	b.waitText("#entity-facts", "Not connected")
	if w := b.text("#entity-warning"); strings.Contains(w, "fix the cause, then resend") || !strings.Contains(w, "connect the customer") {
		t.Errorf("advice on a customer whose fix is Connect:\n%s", w)
	}
	b.screenshot("customer-not-connected")

	b.do("open the simulator's page", chromedp.Navigate(href))
	b.waitText("h1", "Invoice")
	if got := b.text("body"); !strings.Contains(got, "A-100") || !strings.Contains(got, "50.25") {
		t.Errorf("simulator page of the invoice:\n%s", got)
	}
	b.screenshot("simulator-invoice-page")
}
