package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
)

// importedPage reads one page of the tenant's imported QuickBooks customers.
func (e *tenantEnv) importedPage(limit int, cursor string) ([]map[string]any, string) {
	e.t.Helper()
	u := e.stack.GatewayURL() + "/api/v1/tenants/" + e.tenant + "/quickbooks-customers?limit=" + strconv.Itoa(limit)
	if cursor != "" {
		u += "&cursor=" + url.QueryEscape(cursor)
	}
	status, out := callAPI(e.t, http.MethodGet, u, e.stack.AdminToken(e.tenant), nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET quickbooks-customers: %d %v", status, out)
	}
	var page []map[string]any
	for _, c := range out["customers"].([]any) {
		page = append(page, c.(map[string]any))
	}
	next, _ := out["next_cursor"].(string)
	return page, next
}

// imported walks every page, two customers at a time, and returns the
// display names listed.
func (e *tenantEnv) imported() (names []string, ids map[string]string, pages int) {
	e.t.Helper()
	ids = map[string]string{}
	cursor := ""
	for {
		page, next := e.importedPage(2, cursor)
		pages++
		for _, c := range page {
			names = append(names, str(c["display_name"]))
			ids[str(c["display_name"])] = str(c["qbo_customer_id"])
		}
		if next == "" {
			sort.Strings(names)
			return names, ids, pages
		}
		cursor = next
	}
}

// Syncro's setup: customers already in QuickBooks that no billing
// customer is linked to are imported at connect (the scheduler's next
// pass), listed page by page, sent to billing once each as
// quickbooks.customer.found, and one is linked to a billing customer with
// Connect customer, which takes it off the list.
func TestImportedCustomersListedAndLinked(t *testing.T) {
	s := newStack(t, devstack.Options{OutboundRetryFirst: time.Second})
	sy := newTenant(t, s, "syncro")
	rcv := &billingReceiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	sy.setEndpoint(srv.URL)

	// A customer billing synced, and three the accountant keeps by hand.
	sy.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Ada Books", "ada@example.com"))
	sy.drain()
	before := map[string]bool{}
	for _, c := range sy.objects("Customer", "select * from Customer where Active = true") {
		before[str(c["DisplayName"])] = true
	}
	for _, name := range []string{"Cobalt Mining", "Dune Freight", "Ember Labs"} {
		sy.accountantWrite("customer", map[string]any{"DisplayName": name, "PrimaryEmailAddr": map[string]any{"Address": "ap@" + name[:4] + ".example"}})
	}
	if err := s.RunScheduler(context.Background()); err != nil {
		t.Fatalf("scheduler: %v", err)
	}
	names, ids, pages := sy.imported()
	var want []string
	for name := range before {
		if name != "Ada Books" {
			want = append(want, name) // the simulated company's own customers
		}
	}
	want = append(want, "Cobalt Mining", "Dune Freight", "Ember Labs")
	sort.Strings(want)
	sameLines(t, "imported customers", names, want)
	if pages < 2 {
		t.Errorf("%d customers in %d page(s) of two, want several pages", len(names), pages)
	}

	// Billing hears of each once, however often the import runs.
	status, out := callAPI(t, http.MethodPost, s.GatewayURL()+"/api/v1/tenants/syncro/quickbooks-customers/import", s.AdminToken("syncro"), nil)
	if status != http.StatusOK || out["found"] != float64(0) || out["unlinked"] != float64(len(want)) {
		t.Errorf("import again: %d %v, want nothing new of %d unlinked", status, out, len(want))
	}
	waitFor(t, 30*time.Second, "every customer found reaches billing", func() bool { return len(rcv.accepted()) == len(want) })
	time.Sleep(time.Second)
	found := map[string]int{}
	for _, rs := range rcv.accepted() {
		var ev struct {
			Type string
			Data map[string]string
		}
		_ = json.Unmarshal(rs[0].body, &ev)
		if ev.Type != "quickbooks.customer.found" || len(rs) != 1 {
			t.Errorf("event %s accepted %d times, want quickbooks.customer.found once", ev.Type, len(rs))
		}
		found[ev.Data["display_name"]]++
		if ev.Data["display_name"] == "Dune Freight" && (ev.Data["email"] != "ap@Dune.example" || ev.Data["qbo_customer_id"] != ids["Dune Freight"]) {
			t.Errorf("Dune Freight's event data %v, want its e-mail and QuickBooks id %s", ev.Data, ids["Dune Freight"])
		}
	}
	if len(found) != len(want) || found["Ada Books"] != 0 {
		t.Errorf("customers billing heard of: %v, want each of %v once", found, want)
	}

	// Billing's new customer waits for an admin (manual mode), who links it
	// to the imported Dune Freight.
	status, out = callAPI(t, http.MethodPatch, s.GatewayURL()+"/api/v1/tenants/syncro/settings", s.AdminToken("syncro"), map[string]string{"customer_mode": "manual"})
	if status != http.StatusOK {
		t.Fatalf("manual customer mode: %d %v", status, out)
	}
	sy.mustPost(http.StatusAccepted, "customer.created", customer("cus_dune", 1, "Dune Freight Ltd", "ap@Dune.example"))
	sy.drain()
	if got := sy.status("customer", "cus_dune"); !strings.HasPrefix(got, "not_connected") {
		t.Fatalf("cus_dune before it is connected: %s", got)
	}
	status, out = callAPI(t, http.MethodPost, s.GatewayURL()+"/api/v1/tenants/syncro/customers/cus_dune/connect", s.AdminToken("syncro"),
		map[string]string{"mode": "latch", "qbo_customer_id": ids["Dune Freight"]})
	if status != http.StatusAccepted {
		t.Fatalf("connect cus_dune to Dune Freight: %d %v", status, out)
	}
	sy.drain()
	_, det := callAPI(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/syncro/entities/customer/cus_dune", s.AdminToken("syncro"), nil)
	if det["status"] != "synced" || field(det, "qbo", "id") != ids["Dune Freight"] {
		t.Errorf("cus_dune = %v, want synced and linked to QuickBooks customer %s", det, ids["Dune Freight"])
	}
	after, _, _ := sy.imported()
	var rest []string
	for _, n := range want {
		if n != "Dune Freight" {
			rest = append(rest, n)
		}
	}
	sameLines(t, "imported customers after linking Dune Freight", after, rest)
}
