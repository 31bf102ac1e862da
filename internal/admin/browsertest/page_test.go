package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/localaws"
)

// browser is a headless Chromium tab with the screenshots folder.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// newBrowser starts Debian's chromium with the flags this machine needs
// and a fresh profile. The Makefile installs chromium for make test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("no chromium on PATH: run `apt-get install -y chromium` (make test does)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(root, ".artifacts", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, shots: shots}
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the visible text of the first element matching css ("" if none).
func (b *browser) text(css string) string {
	b.t.Helper()
	q, _ := json.Marshal(css)
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%s) || {innerText: ""}).innerText`, q)))
	if err != nil {
		b.t.Fatalf("read %s: %v", css, err)
	}
	return s
}

// waitText waits until the element css shows want.
func (b *browser) waitText(css, want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := b.text(css)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot("failure")
			b.t.Fatalf("%s never showed %q; it shows:\n%s", css, want, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) click(css string) {
	b.t.Helper()
	b.do("click "+css, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// screenshot saves the whole page as <name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

// TestAdminFixesWarningsInBrowser: an admin opens the link with a token,
// sees a duplicate-number warning with QuickBooks' reason and the payment
// it blocks, fixes the cause in QuickBooks, clicks Resend and watches the
// invoice turn synced; then connects a customer found by search.
func TestAdminFixesWarningsInBrowser(t *testing.T) {
	e := admintest.Start(t)
	acme := e.NewTenant(t, "acme", true)
	qboGlobex := acme.CreateQBOCustomer(t, "Globex Corporation", "accounts@globex.example")
	acme.Post(t, "customer.created", admintest.Customer("cus_1", "Acme Corp", "ap@acme.example"))
	acme.Post(t, "invoice.created", admintest.Invoice("inv_1", "cus_1", "A-100", 5000))
	acme.Drain(t)
	acme.Post(t, "invoice.created", admintest.Invoice("inv_2", "cus_1", "A-100", 7000))
	acme.Post(t, "payment.created", admintest.Payment("pay_2", "cus_1", "inv_2", 7000))
	acme.Drain(t)
	// QuickBooks fails every create of Globex: the customer is retried
	// automatically and stays not tried until the admin connects it.
	acme.SimFault(t, map[string]any{"entity": "Customer", "operation": "create", "count": 1000, "status": 503})
	e.Stack.ResetCounts()
	acme.Post(t, "customer.created", admintest.Customer("cus_9", "Globex Corp.", "billing@globex.example"))
	for deadline := time.Now().Add(20 * time.Second); e.Stack.Counts().QBO["POST customer"] < 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("cus_9 was not sent to QuickBooks")
		}
	}

	b := newBrowser(t)
	b.do("open the admin link", chromedp.Navigate(e.URL+"/admin#token="+e.Token(t, "acme", "ann@acme.example")))
	b.waitText("#ov-rows", "Invoices")
	b.waitText("#who", "tenant acme")
	if got := b.text("#ov-warnings"); got != "1" {
		t.Errorf("overview warnings = %q, want 1", got)
	}
	if got := b.text("#ov-fresh-sub"); !strings.Contains(got, "Invoice inv_2") {
		t.Errorf("freshness names %q, want the invoice in warning inv_2 (the oldest unsynced)", got)
	}
	b.screenshot("overview")

	b.click(`a.button.primary[href="#/review"]`)
	b.waitText("#list-rows", "Duplicate Document Number Error")
	b.waitText("#list-rows", "Blocks 1 payment")
	if rows := b.text("#list-rows"); strings.Contains(rows, "pay_2") {
		t.Errorf("the blocked payment is listed as a warning of its own:\n%s", rows)
	}
	b.screenshot("review-warnings")

	b.click(`#list-rows a[href="#/entity/invoice/inv_2"]`)
	b.waitText("#entity-warning", "6140")
	b.waitText("#entity-warning", "DocNumber=A-100")
	b.waitText("#entity-warning", "Fix:")
	b.waitText("#entity-blocks", "Payment pay_2")
	b.screenshot("entity-warning")

	// The admin turns off QuickBooks' duplicate-number warning and resends.
	acme.SimPreferences(t, map[string]any{"duplicate_doc_number_check": false})
	b.click(`#entity-actions button.primary`)
	b.waitText("#entity-facts", "Synced")
	b.waitText("#entity-facts", "Open in QuickBooks")
	b.waitText("#entity-history", "resend by ann@acme.example")
	b.screenshot("entity-synced")

	// Connect customer: search QuickBooks, latch, choose the start date.
	b.do("open not-tried customers", chromedp.Navigate(e.URL+"/admin#/review?status=not_tried&kind=customer"))
	b.waitText("#list-rows", "cus_9")
	b.click(`#list-rows button[aria-label="Connect Customer cus_9"]`)
	b.do("search QuickBooks", chromedp.SendKeys(chromedp.CSS("#c-search"), "globex\r", chromedp.NodeVisible))
	b.waitText("#c-results", "Globex Corporation")
	b.do("start date", chromedp.SetValue(chromedp.CSS("#c-start"), "2026-01-01"))
	b.screenshot("connect-customer")
	b.click("#c-submit")
	b.waitText("#entity-h", "Customer cus_9")
	b.waitText("#entity-facts", "linked to QuickBooks customer "+qboGlobex+", financial data from 2026-01-01")
	b.waitText("#entity-facts", "Synced")
	b.screenshot("customer-connected")
	acme.ClearSimFaults(t)
	if rows := acme.QueryQBO(t, "Customer", "select * from Customer where DisplayName like 'Globex%'"); len(rows) != 1 {
		t.Errorf("QuickBooks has %d Globex customers, want only the one latched to", len(rows))
	}

	b.do("open the overview", chromedp.Navigate(e.URL+"/admin#/overview"))
	b.waitText("#ov-fresh", "All synced")
	b.waitText("#ov-warnings", "0")
	b.screenshot("overview-synced")

	b.do("open settings", chromedp.Navigate(e.URL+"/admin#/settings"))
	b.waitText("#ledger-fields", "Revenue ledger")
	b.screenshot("settings")
	b.do("open the audit log", chromedp.Navigate(e.URL+"/admin#/audit"))
	b.waitText("#audit-rows", "connect customer")
	b.screenshot("audit-log")
}
