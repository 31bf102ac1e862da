package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/admin/admintest"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

type deadLetterList struct {
	Total    int  `json:"total"`
	Complete bool `json:"complete"`
	Redriven int  `json:"redriven"`
	Counts   []struct {
		Queue string `json:"queue"`
		Count int    `json:"count"`
	} `json:"counts"`
	DeadLetters []struct {
		Queue        string    `json:"queue"`
		Kind         string    `json:"kind"`
		Tenant       string    `json:"tenant"`
		EntityID     string    `json:"entity_id"`
		Version      int64     `json:"version"`
		Reason       string    `json:"reason"`
		FirstSeenAt  time.Time `json:"first_seen_at"`
		ReceiveCount int       `json:"receive_count"`
	} `json:"dead_letters"`
}

func (l deadLetterList) count(queue string) int {
	for _, c := range l.Counts {
		if c.Queue == queue {
			return c.Count
		}
	}
	return -1
}

func getDeadLetters(t *testing.T, method, u, token string, want int) deadLetterList {
	t.Helper()
	status, raw := admintest.Request(t, method, u, token, nil)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, u, status, raw, want)
	}
	var l deadLetterList
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("%s %s: %v in %s", method, u, err, raw)
	}
	return l
}

// stored stores a customer's snapshot as the webhook does, without the
// message the webhook would queue: that message is the one dead-lettered.
func stored(t *testing.T, s *devstack.Stack, tenant, id, name string) string {
	t.Helper()
	data, _ := json.Marshal(customer(id, 1, name, id+"@example.com"))
	err := s.Store().PutSnapshot(context.Background(), store.Snapshot{Tenant: tenant, Kind: billing.KindCustomer, ID: id,
		Version: 1, CustomerID: id, Action: "created", EventID: "evt_" + id, OccurredAt: time.Now(), ReceivedAt: time.Now(), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"tenant":%q,"kind":"customer","id":%q,"customer_id":%q,"version":1,"event_id":"evt_%s","reason":"webhook"}`,
		tenant, id, id, id)
}

// A poison message in a kind's dead-letter queue and one in the defer
// queue's are counted and listed for their tenant only (another tenant's
// and an undecodable body are the operators' to see), shown as not
// synced until redriven, and once redriven are synced into QuickBooks;
// the redrive is audited and leaves the others' messages where they are.
func TestDeadLettersAreListedPerTenantAndRedriven(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "dlq")
	other := newTenant(t, s, "dlq-other")

	poison := stored(t, s, e.tenant, "cus_dead", "Dead Letter Ltd")
	deferred := stored(t, s, e.tenant, "cus_parked", "Parked Ltd")
	deferred = deferred[:len(deferred)-1] + fmt.Sprintf(`,"not_before":%d}`, time.Now().Add(-time.Minute).Unix())
	foreign := stored(t, s, other.tenant, "cus_foreign", "Foreign Ltd")
	for _, p := range []struct {
		kind        billing.Kind
		group, body string
	}{
		{billing.KindCustomer, e.tenant + "#cus_dead", poison},
		{"", "", deferred},
		{billing.KindCustomer, other.tenant + "#cus_foreign", foreign},
		{billing.KindInvoice, "garbage", "not a message at all"},
	} {
		if err := s.PutDeadLetter(ctx, p.kind, p.group, p.body); err != nil {
			t.Fatal(err)
		}
	}

	base := s.GatewayURL() + "/api/v1/tenants/" + e.tenant + "/dead-letters"
	token := s.AdminToken(e.tenant)
	mine := getDeadLetters(t, http.MethodGet, base, token, http.StatusOK)
	if mine.Total != 2 || mine.count("customer") != 1 || mine.count("defer") != 1 || mine.count("invoice") != 0 || !mine.Complete {
		t.Errorf("tenant listing = %+v, want 2 (customer 1, defer 1), complete", mine)
	}
	seen := map[string]bool{}
	for _, d := range mine.DeadLetters {
		seen[d.Queue+"/"+d.EntityID] = true
		if d.Tenant != e.tenant || d.Kind != "customer" || d.Version != 1 || d.Reason != "webhook" ||
			d.ReceiveCount < 1 || time.Since(d.FirstSeenAt) > time.Minute {
			t.Errorf("dead letter %+v: want tenant %s, customer v1, reason webhook, received, first seen just now", d, e.tenant)
		}
	}
	if !seen["customer/cus_dead"] || !seen["defer/cus_parked"] {
		t.Errorf("listed %v, want customer/cus_dead and defer/cus_parked", seen)
	}
	if got := getDeadLetters(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/"+other.tenant+"/dead-letters",
		s.AdminToken(other.tenant), http.StatusOK); got.Total != 1 || got.DeadLetters[0].EntityID != "cus_foreign" {
		t.Errorf("the other tenant's listing = %+v, want its own cus_foreign only", got)
	}
	getDeadLetters(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/"+other.tenant+"/dead-letters", token, http.StatusForbidden)
	fleet := getDeadLetters(t, http.MethodGet, s.GatewayURL()+"/api/v1/operator/dead-letters", s.OperatorToken(), http.StatusOK)
	if fleet.Total != 4 || fleet.count("customer") != 2 || fleet.count("invoice") != 1 || fleet.count("defer") != 1 || len(fleet.DeadLetters) != 4 {
		t.Errorf("fleet listing = %+v, want 4: customer 2, invoice 1 (undecodable), defer 1", fleet)
	}
	if got := e.status(billing.KindCustomer, "cus_dead"); got != string(store.StatusNotTried) {
		t.Errorf("cus_dead before the redrive: %s, want not_tried", got)
	}

	redriven := getDeadLetters(t, http.MethodPost, base+"/redrive", token, http.StatusOK)
	if redriven.Redriven != 2 || redriven.count("customer") != 1 || redriven.count("defer") != 1 {
		t.Errorf("redrive = %+v, want 2 redriven (customer 1, defer 1)", redriven)
	}
	e.drain()
	for id, name := range map[string]string{"cus_dead": "Dead Letter Ltd", "cus_parked": "Parked Ltd"} {
		if got := e.status(billing.KindCustomer, id); got != string(store.StatusSynced) {
			t.Errorf("%s after the redrive: %s, want synced", id, got)
		}
		if n := e.count("select count(*) from Customer where DisplayName = '" + name + "'"); n != 1 {
			t.Errorf("QuickBooks has %d customers named %s, want 1", n, name)
		}
	}
	if got := getDeadLetters(t, http.MethodGet, base, token, http.StatusOK); got.Total != 0 {
		t.Errorf("tenant listing after the redrive = %+v, want empty", got)
	}
	fleet = getDeadLetters(t, http.MethodGet, s.GatewayURL()+"/api/v1/operator/dead-letters", s.OperatorToken(), http.StatusOK)
	if fleet.Total != 2 || fleet.count("customer") != 1 || fleet.count("invoice") != 1 {
		t.Errorf("fleet listing after the redrive = %+v, want the other tenant's and the undecodable one", fleet)
	}
	if got := other.status(billing.KindCustomer, "cus_foreign"); got != string(store.StatusNotTried) {
		t.Errorf("the other tenant's cus_foreign: %s, want not_tried (not redriven)", got)
	}
	status, out := callAPI(t, http.MethodGet, s.GatewayURL()+"/api/v1/tenants/"+e.tenant+"/audit", token, nil)
	entries, _ := out["entries"].([]any)
	found := false
	for _, a := range entries {
		m, _ := a.(map[string]any)
		if m["action"] == "redrive_dead_letters" && m["count"] == float64(2) && m["detail"] == "customer 1, defer 1" {
			found = true
		}
	}
	if status != http.StatusOK || !found {
		t.Errorf("audit log %d %v: want a redrive_dead_letters entry of 2 (customer 1, defer 1)", status, out)
	}
}
