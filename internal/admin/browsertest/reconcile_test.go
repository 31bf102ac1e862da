package browsertest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/qbosync/qbosync/internal/admin/admintest"
)

// TestAccountantReconcilesInBrowser: after a sync, an accountant edits an
// invoice's amount in QuickBooks. The admin reconciles from the page, sees
// the drift with billing's and QuickBooks' amounts, pushes billing's
// version back, and reads the overview's money totals per kind and the
// receivables per customer, mismatches first.
func TestAccountantReconcilesInBrowser(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	acme.Post(t, "customer.created", admintest.Customer("cus_1", "Acme Corp", "ap@acme.example"))
	acme.Post(t, "customer.created", admintest.Customer("cus_2", "Initech", "ap@initech.example"))
	acme.Drain(t)
	acme.Post(t, "invoice.created", admintest.Invoice("inv_1", "cus_1", "A-100", 5000))
	acme.Post(t, "invoice.created", admintest.Invoice("inv_2", "cus_2", "A-101", 12050))
	acme.Drain(t)
	acme.Post(t, "payment.created", admintest.Payment("pay_1", "cus_1", "inv_1", 5000))
	acme.Drain(t)

	b := newBrowser(t)
	b.do("open the reconciliation", chromedp.Navigate(e.URL+"/admin#token="+e.Token(t, "acme", "ann@acme.example")))
	b.waitText("#ov-rows", "Invoices")
	b.do("open the reconciliation", chromedp.Navigate(e.URL+"/admin#/reconciliation"))
	b.waitText("#recon-asof", "Not reconciled yet")
	b.click("#recon-run")
	b.waitText("#recon-asof", "As of")
	b.waitText("#recon-drift-empty", "No drift")
	b.waitText("#recon-totals", "170.50")

	// The accountant changes inv_2 from 120.50 to 99.99 in QuickBooks.
	inv := acme.QueryQBO(t, "Invoice", "select * from Invoice where DocNumber = 'A-101'")[0]
	lines := inv["Line"].([]any)
	detail := lines[0].(map[string]any)["SalesItemLineDetail"].(map[string]any)
	acme.QBO(t, http.MethodPost, "invoice", map[string]any{"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": true,
		"Line": []any{map[string]any{"Amount": "99.99", "DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": map[string]any{"ItemRef": detail["ItemRef"], "Qty": "1", "UnitPrice": "99.99"}}}}, nil)
	b.click("#recon-run")
	b.waitText("#recon-drift", "Invoice inv_2")
	if got := b.text("#recon-drift"); !strings.Contains(got, "amount") || !strings.Contains(got, "120.50") || !strings.Contains(got, "99.99") {
		t.Errorf("drift row: %q, want the amount with billing's 120.50 and QuickBooks' 99.99", got)
	}
	b.waitText("#recon-totals", "Differ")
	open, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector('#recon-drift a[data-open="invoice/inv_2"]') || {}).href || ""`))
	if err != nil || !strings.HasPrefix(open, e.Stack.QBOURL()+"/_sim/companies/") {
		t.Errorf("drift row's Open in QuickBooks = %q (%v), want the simulator's page of the invoice", open, err)
	}
	if got := b.text("#recon-customers tr"); !strings.Contains(got, "cus_2") {
		t.Errorf("first customer row %q, want the mismatched cus_2 first", got)
	}
	b.screenshot("reconciliation-drift")

	b.do("open the overview", chromedp.Navigate(e.URL+"/admin#/overview"))
	b.waitText("#ov-money-rows", "Invoices")
	money := b.text("#ov-money-rows")
	for _, want := range []string{"170.50", "149.99", "50.00", "Differ", "Agree"} {
		if !strings.Contains(money, want) {
			t.Errorf("overview money totals lack %q:\n%s", want, money)
		}
	}
	if got := b.text("#ov-ar-rows tr"); !strings.Contains(got, "cus_2") || !strings.Contains(got, "120.50") || !strings.Contains(got, "99.99") {
		t.Errorf("first receivables row %q, want cus_2 with 120.50 in billing and 99.99 in QuickBooks", got)
	}
	if got := b.text("#ov-table thead"); !strings.Contains(got, "Not connected") || !strings.Contains(got, "Drifted") {
		t.Errorf("overview columns %q, want Not connected and Drifted", got)
	}
	if got := b.text("#ov-ready"); !strings.Contains(got, "checked") || !strings.Contains(got, "Connected to") {
		t.Errorf("overview readiness report: %q, want the company's checks", got)
	}
	b.screenshot("overview-money")

	// Push billing's version back from the entity page.
	b.do("open the invoice", chromedp.Navigate(e.URL+"/admin#/entity/invoice/inv_2"))
	b.waitText("#entity-facts", "Drifted")
	b.waitText("#entity-warning", "Changed in QuickBooks")
	b.screenshot("entity-drifted")
	if w := b.text("#entity-warning"); strings.Contains(w, "QuickBooks code") || !strings.Contains(w, "changed, voided or deleted this object in QuickBooks") {
		t.Errorf("drift explained as %q, want reconciliation's cause, not a QuickBooks code", w)
	}
	b.click(`#entity-actions button.primary`) // Push billing's version
	// The push is queued when the page confirms it; draining before that
	// could find nothing to sync yet.
	b.waitText("#live", "billing's version is sent again")
	acme.Drain(t)
	b.do("open the reconciliation", chromedp.Navigate(e.URL+"/admin#/reconciliation"))
	b.click("#recon-run")
	b.waitText("#recon-drift-empty", "No drift")
	if rows := acme.QueryQBO(t, "Invoice", "select * from Invoice where DocNumber = 'A-101'"); len(rows) != 1 || rows[0]["TotalAmt"] != 120.5 {
		t.Errorf("inv_2 in QuickBooks after billing's version was pushed: %v", rows)
	}
	b.screenshot("reconciliation-clean")
}
