package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// seedSynced puts n invoices of cus_1 into QuickBooks in batches and
// records them in the store as the sync would have: snapshot, synced
// status and link. Syncing 1,000 invoices one by one through the queues
// would measure the sync, not reconciliation.
func (e *tenantEnv) seedSynced(n int, customerQBOID, itemID string) {
	e.t.Helper()
	ctx := context.Background()
	st := e.stack.Store()
	for start := 0; start < n; start += 30 {
		var items []any
		for i := start; i < min(n, start+30); i++ {
			items = append(items, map[string]any{"bId": fmt.Sprint(i), "operation": "create", "Invoice": map[string]any{
				"DocNumber": fmt.Sprintf("C-%d", i), "TxnDate": "2026-11-21", "PrivateNote": fmt.Sprintf("[billing invoice inv_%d]", i),
				"CustomerRef": map[string]any{"value": customerQBOID},
				"Line": []any{map[string]any{"Amount": "15.00", "DetailType": "SalesItemLineDetail",
					"SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": itemID}, "Qty": "1", "UnitPrice": "15.00"}}}}})
		}
		out := e.accountantWrite("batch", map[string]any{"BatchItemRequest": items})
		for _, r := range out["BatchItemResponse"].([]any) {
			resp := r.(map[string]any)
			inv, ok := resp["Invoice"].(map[string]any)
			if !ok {
				e.t.Fatalf("batch create: %v", resp)
			}
			var i int
			fmt.Sscanf(str(resp["bId"]), "%d", &i)
			id := fmt.Sprintf("inv_%d", i)
			data, _ := json.Marshal(invoice(id, 1, "cus_1", fmt.Sprintf("C-%d", i), "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 1500}))
			snap := store.Snapshot{Tenant: e.tenant, Kind: billing.KindInvoice, ID: id, Version: 1, CustomerID: "cus_1",
				Action: billing.ActionCreated, EventID: "seed_" + id, OccurredAt: time.Now(), ReceivedAt: time.Now(), Data: data}
			if err := st.PutSnapshot(ctx, snap); err != nil {
				e.t.Fatal(err)
			}
			if err := st.SetStatus(ctx, e.tenant, billing.KindInvoice, id, store.StatusUpdate{Status: store.StatusSynced, Version: 1}); err != nil {
				e.t.Fatal(err)
			}
			if _, err := st.PutLink(ctx, store.Link{Tenant: e.tenant, Kind: billing.KindInvoice, ID: id, RealmID: e.realm,
				State: store.LinkLinked, QBOID: str(inv["Id"]), SyncToken: str(inv["SyncToken"]), SyncedVersion: 1}); err != nil {
				e.t.Fatal(err)
			}
		}
	}
}

// TestReconciliationRequestCost reports what reconciling 1,000 synced
// invoices costs in QuickBooks requests: the first run reads every money
// entity page by page, the hourly runs after it one CDC request.
//
//	bash infra/local/stack.sh run -- go test -count=1 -v -run TestReconciliationRequestCost ./internal/e2e/
func TestReconciliationRequestCost(t *testing.T) {
	s := newStack(t, devstack.Options{})
	e := newTenant(t, s, "thousand")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Big Customer", "big@example.com"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	e.drain()
	cus := e.marked("Customer", "customer cus_1")
	item := e.objects("Item", "select * from Item where Name = 'Plan'")[0]
	e.seedSynced(1000, str(cus["Id"]), str(item["Id"]))
	// The seeded invoices age past the skew each CDC window reaches back
	// (5 s before the previous run), so the hourly run below is asked for
	// the accountant's change alone.
	if err := s.Advance(6 * time.Second); err != nil {
		t.Skip(err)
	}

	s.ResetCounts()
	rec := e.reconcile()
	full, fullBy := devstack.Total(s.Counts().QBO), breakdown(s.Counts().QBO)
	if d := driftLines(rec); len(d) != 0 {
		t.Fatalf("drift on untouched invoices: %v", d[:min(5, len(d))])
	}
	sameLines(t, "totals", totalLines(rec), []string{"invoice: 1000 15000.00 / 1000 15000.00"})

	inv := e.marked("Invoice", "invoice inv_7")
	e.accountantWrite("invoice", map[string]any{"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": true, "TxnDate": "2026-11-23"})
	s.ResetCounts()
	rec = e.reconcile()
	hourly, hourlyBy := devstack.Total(s.Counts().QBO), breakdown(s.Counts().QBO)
	sameLines(t, "drift after one change", driftLines(rec), []string{"invoice/inv_7 date: billing 2026-11-21, quickbooks 2026-11-23"})
	if last, err := s.Store().Reconciliation(context.Background(), e.tenant); err != nil || last.Extra.FullRead || last.Extra.Changed != 1 {
		t.Errorf("hourly run read %+v (%v), want by CDC the one invoice the accountant changed", last.Extra, err)
	}

	t.Logf("reconciling 1,000 synced invoices: first run %d QuickBooks requests (%s), hourly run %d (%s)",
		full, fullBy, hourly, hourlyBy)
	fmt.Printf("reconciliation of 1,000 synced entities: %d QuickBooks requests in full, %d by CDC\n", full, hourly)
	if full > 8 || hourly != 1 {
		t.Errorf("first run %d requests, hourly %d: want at most 8 (two pages of invoices and one of each other entity) and 1", full, hourly)
	}
}
