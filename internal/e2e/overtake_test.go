package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// A create whose answer QuickBooks dropped after committing waits to be
// retried; meanwhile billing renames the customer. The new version's sync
// resumes the create intent and QuickBooks replays the first create's
// answer for its requestid: that object holds the old name, so the sync
// must still write the new version over it, not record it as sent.
func TestNewVersionOvertakingALostCreateIsWritten(t *testing.T) {
	e := newTenant(t, newStack(t, devstack.Options{}), "overtake")
	if err := e.inject(faultPlan{name: "drop_response", rule: map[string]any{
		"entity": "Customer", "operation": "create", "count": 1, "drop_response": true}}); err != nil {
		t.Fatal(err)
	}
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Old Name Ltd", "ap@old.example"))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := e.simStats()
		if err != nil {
			t.Fatal(err)
		}
		if st.FaultsInjected > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the create was never sent")
		}
	}
	e.mustPost(http.StatusAccepted, "customer.updated", customer("cus_1", 2, "New Name Ltd", "ap@old.example"))
	e.drain()

	if s := e.status(billing.KindCustomer, "cus_1"); s != "synced" {
		t.Errorf("cus_1 is %q, want synced", s)
	}
	got := e.objects("Customer", "select * from Customer")
	if len(got) != 1 || str(got[0]["DisplayName"]) != "New Name Ltd" {
		var names []string
		for _, c := range got {
			names = append(names, str(c["DisplayName"]))
		}
		t.Errorf("QuickBooks customers %v, want exactly one, named New Name Ltd (billing's version 2)", names)
	}
}
