package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// clock is a settable time source for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClockedStore(t *testing.T) (*store.Store, *clock) {
	t.Helper()
	_, _, res := stack.ForTest(t)
	c := &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	return store.New(stack.DynamoDB, res.Table, c.now), c
}

func entity(tenant string, kind billing.Kind, id string, version int64) store.Snapshot {
	return store.Snapshot{Tenant: tenant, Kind: kind, ID: id, Version: version, CustomerID: "cus_1",
		Action: "created", EventID: fmt.Sprintf("evt_%s_%d", id, version), ReceivedAt: time.Now(),
		Data: []byte(fmt.Sprintf(`{"id":%q}`, id))}
}

func mustPut(t *testing.T, s *store.Store, snap store.Snapshot) {
	t.Helper()
	if err := s.PutSnapshot(context.Background(), snap); err != nil {
		t.Fatalf("put %s/%s v%d: %v", snap.Kind, snap.ID, snap.Version, err)
	}
}

func mustStatus(t *testing.T, s *store.Store, tenant string, kind billing.Kind, id string, u store.StatusUpdate) {
	t.Helper()
	if err := s.SetStatus(context.Background(), tenant, kind, id, u); err != nil {
		t.Fatalf("status of %s/%s: %v", kind, id, err)
	}
}

func TestCountsFollowStatusChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newClockedStore(t)
	mustPut(t, s, entity("acme", billing.KindCustomer, "cus_1", 1))
	mustPut(t, s, entity("acme", billing.KindInvoice, "inv_1", 1))
	mustPut(t, s, entity("acme", billing.KindInvoice, "inv_2", 1))
	mustPut(t, s, entity("other", billing.KindInvoice, "inv_1", 1))
	mustStatus(t, s, "acme", billing.KindCustomer, "cus_1", store.StatusUpdate{Status: store.StatusSynced, Version: 1})
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Status: store.StatusWarning, Version: 1,
		Warning: &store.Warning{Code: "6140", Message: "Duplicate Document Number Error"}})
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_2", store.StatusUpdate{Status: store.StatusWaiting, Version: 1, WaitingOn: "customer/cus_9"})
	// A retried webhook, same version again: nothing changes.
	if err := s.PutSnapshot(ctx, entity("acme", billing.KindInvoice, "inv_2", 1)); !errors.As(err, new(*store.UnchangedError)) {
		t.Fatalf("same version again: %v, want *UnchangedError", err)
	}
	if err := s.PutSnapshot(ctx, entity("acme", billing.KindInvoice, "inv_1", 0)); !errors.Is(err, store.ErrStale) {
		t.Fatalf("older version: %v, want ErrStale", err)
	}
	if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_9", store.StatusUpdate{Status: store.StatusSynced, Version: 1}); !errors.Is(err, store.ErrStale) {
		t.Fatalf("status of an entity never received: %v, want ErrStale", err)
	}

	got, err := s.Counts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := map[billing.Kind]map[store.Status]int64{
		billing.KindCustomer: {store.StatusSynced: 1},
		billing.KindInvoice:  {store.StatusWarning: 1, store.StatusWaiting: 1},
	}
	for kind, byStatus := range want {
		for _, st := range store.Statuses {
			if got[kind][st] != byStatus[st] {
				t.Errorf("%s %s = %d, want %d (all: %v)", kind, st, got[kind][st], byStatus[st], got)
			}
		}
	}
	if got.Total(billing.KindInvoice) != 2 {
		t.Errorf("invoices in billing = %d, want 2", got.Total(billing.KindInvoice))
	}
	other, _ := s.Counts(ctx, "other")
	if other.Total(billing.KindInvoice) != 1 || other.Total(billing.KindCustomer) != 0 {
		t.Errorf("other tenant's counts = %v, want its one invoice only", other)
	}
}

// Concurrent webhooks and syncs on the same entities must leave counters
// equal to what the status index holds.
func TestCountsExactUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newClockedStore(t)
	const entities, writers = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*entities*3)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < entities; i++ {
				id := fmt.Sprintf("inv_%d", i)
				v := int64(1 + (w+i)%3)
				if err := s.PutSnapshot(ctx, entity("acme", billing.KindInvoice, id, v)); err != nil && !errors.Is(err, store.ErrStale) &&
					!errors.As(err, new(*store.UnchangedError)) {
					errs <- err
				}
				st := []store.Status{store.StatusSynced, store.StatusWarning, store.StatusWaiting}[(w+i)%3]
				err := s.SetStatus(ctx, "acme", billing.KindInvoice, id, store.StatusUpdate{Status: st, Version: v})
				if err != nil && !errors.Is(err, store.ErrStale) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	counts, err := s.Counts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, st := range store.Statuses {
		listed, err := s.EntitiesByStatus(ctx, "acme", st, billing.KindInvoice)
		if err != nil {
			t.Fatal(err)
		}
		if got := counts[billing.KindInvoice][st]; got != int64(len(listed)) {
			t.Errorf("%s: counter %d, status index %d", st, got, len(listed))
		}
		total += int64(len(listed))
	}
	if total != entities {
		t.Errorf("status index lists %d invoices, want %d", total, entities)
	}
}

func TestOldestUnsyncedKeepsItsClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clk := newClockedStore(t)
	start := clk.now()
	mustPut(t, s, entity("acme", billing.KindInvoice, "inv_old", 1))
	clk.add(time.Minute)
	mustPut(t, s, entity("acme", billing.KindInvoice, "inv_new", 1))
	clk.add(time.Minute)
	// Waiting and then failing does not make the old invoice look fresh.
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_old", store.StatusUpdate{Status: store.StatusWaiting, Version: 1, WaitingOn: "customer/cus_1"})
	clk.add(time.Minute)
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_old", store.StatusUpdate{Status: store.StatusWarning, Version: 1,
		Warning: &store.Warning{Code: "610", Message: "Object Not Found"}})
	got, ok, err := s.Oldest(ctx, "acme", billing.KindInvoice, store.StatusWarning)
	if err != nil || !ok || got.ID != "inv_old" || !got.Since.Equal(start) {
		t.Fatalf("oldest warning = %s since %s (ok %v, %v); want inv_old since %s", got.ID, got.Since, ok, err, start)
	}
	oldest, ok, _ := s.Oldest(ctx, "acme", billing.KindInvoice, store.StatusNotTried)
	if !ok || oldest.ID != "inv_new" || !oldest.Since.Equal(start.Add(time.Minute)) {
		t.Errorf("oldest not_tried = %s since %s, want inv_new since %s", oldest.ID, oldest.Since, start.Add(time.Minute))
	}
	// Synced stops the clock; the next version starts a new one.
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_old", store.StatusUpdate{Status: store.StatusSynced, Version: 1})
	clk.add(time.Minute)
	mustPut(t, s, entity("acme", billing.KindInvoice, "inv_old", 2))
	rec, err := s.EntityRecord(ctx, "acme", billing.KindInvoice, "inv_old")
	if err != nil || !rec.Since.Equal(start.Add(4*time.Minute)) {
		t.Errorf("version 2 unsynced since %s (%v), want %s", rec.Since, err, start.Add(4*time.Minute))
	}
	if _, ok, _ := s.Oldest(ctx, "acme", billing.KindCustomer, store.StatusNotTried); ok {
		t.Error("a kind with no entities has an oldest one")
	}
}

func TestListEntitiesPagesTopDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clk := newClockedStore(t)
	// Arrival order is bottom-up; the list must still start with customers.
	for _, e := range []struct {
		kind billing.Kind
		id   string
	}{{billing.KindRefund, "re_1"}, {billing.KindPayment, "pay_1"}, {billing.KindInvoice, "inv_2"},
		{billing.KindInvoice, "inv_1"}, {billing.KindProduct, "prod_1"}, {billing.KindCustomer, "cus_1"}} {
		mustPut(t, s, entity("acme", e.kind, e.id, 1))
		clk.add(time.Second)
	}
	var got []string
	cur := ""
	pages := 0
	for {
		page, next, err := s.ListEntities(ctx, "acme", store.ListQuery{Status: store.StatusNotTried, Limit: 2, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page {
			got = append(got, string(e.Kind)+"/"+e.ID)
		}
		if next == "" {
			break
		}
		cur = next
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	want := "[customer/cus_1 product/prod_1 invoice/inv_2 invoice/inv_1 payment/pay_1 refund/re_1]"
	if fmt.Sprint(got) != want {
		t.Errorf("list = %v, want %s", got, want)
	}
	_, next, _ := s.ListEntities(ctx, "acme", store.ListQuery{Status: store.StatusNotTried, Limit: 1})
	if _, _, err := s.ListEntities(ctx, "other", store.ListQuery{Status: store.StatusNotTried, Cursor: next}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("acme's cursor used for another tenant: %v, want ErrBadCursor", err)
	}
	since, _, err := s.ListEntities(ctx, "acme", store.ListQuery{Status: store.StatusNotTried, Kind: billing.KindInvoice,
		Since: clk.now().Add(-3 * time.Second), Limit: 10})
	if err != nil || len(since) != 1 || since[0].ID != "inv_1" {
		t.Errorf("invoices since 3 s ago = %+v, %v; want inv_1 only", since, err)
	}
}

func TestDismissUndismissRequeue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clk := newClockedStore(t)
	mustPut(t, s, entity("acme", billing.KindInvoice, "inv_1", 1))
	if err := s.Dismiss(ctx, "acme", billing.KindInvoice, "inv_1", store.Dismissal{By: "ann", Reason: "test data"}); !errors.Is(err, store.ErrWrongStatus) {
		t.Fatalf("dismissing an entity without a warning: %v, want ErrWrongStatus", err)
	}
	w := &store.Warning{Code: "6140", Message: "Duplicate Document Number Error"}
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Status: store.StatusWarning, Version: 1, Warning: w})
	clk.add(time.Second)
	if err := s.Dismiss(ctx, "acme", billing.KindInvoice, "inv_1", store.Dismissal{By: "ann", Reason: "entered by hand in QuickBooks"}); err != nil {
		t.Fatal(err)
	}
	rec, _ := s.EntityRecord(ctx, "acme", billing.KindInvoice, "inv_1")
	if rec.Status != store.StatusDismissed || rec.Warning == nil || rec.Warning.Code != "6140" ||
		rec.Dismissal == nil || rec.Dismissal.By != "ann" || rec.Dismissal.Reason != "entered by hand in QuickBooks" {
		t.Fatalf("after dismiss: %s warning %+v dismissal %+v", rec.Status, rec.Warning, rec.Dismissal)
	}
	if c, _ := s.Counts(ctx, "acme"); c[billing.KindInvoice][store.StatusDismissed] != 1 || c[billing.KindInvoice][store.StatusWarning] != 0 {
		t.Errorf("counts after dismiss = %v", c)
	}
	clk.add(time.Second)
	if err := s.Undismiss(ctx, "acme", billing.KindInvoice, "inv_1", "bob", "needs a fix after all"); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	if _, err := s.Requeue(ctx, "acme", billing.KindInvoice, "inv_1", "bob", "resend", true); err != nil {
		t.Fatal(err)
	}
	rec, _ = s.EntityRecord(ctx, "acme", billing.KindInvoice, "inv_1")
	if rec.Status != store.StatusNotTried || rec.Warning == nil || rec.Dismissal != nil {
		t.Errorf("after resend: %s, warning %+v, dismissal %+v; want not_tried keeping the last warning", rec.Status, rec.Warning, rec.Dismissal)
	}
	if _, err := s.Requeue(ctx, "acme", billing.KindInvoice, "inv_404", "bob", "resend", true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("resend of an unknown entity: %v, want ErrNotFound", err)
	}
	hist, err := s.History(ctx, "acme", billing.KindInvoice, "inv_1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, h := range hist {
		lines = append(lines, h.Type+":"+h.Action+string(h.Status)+":"+h.By)
	}
	want := "[admin:resendnot_tried:bob admin:undismisswarning:bob admin:dismissdismissed:ann attempt:warning:]"
	if fmt.Sprint(lines) != want {
		t.Errorf("history (newest first) = %v, want %s", lines, want)
	}
	log, err := s.AuditLog(ctx, "acme", 10)
	if err != nil || len(log) != 3 || log[2].Action != "dismiss" || log[2].By != "ann" || log[2].Reason != "entered by hand in QuickBooks" {
		t.Errorf("audit log = %+v, %v; want resend, undismiss, dismiss by ann with the reason", log, err)
	}
	if other, _ := s.AuditLog(ctx, "other", 10); len(other) != 0 {
		t.Errorf("another tenant sees %d audit entries", len(other))
	}
}

func TestCustomerConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newClockedStore(t)
	if _, err := s.CustomerConnection(ctx, "acme", "cus_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before any connect: %v, want ErrNotFound", err)
	}
	c := store.CustomerConnection{CustomerID: "cus_1", Mode: store.ConnectLatch, QBOID: "58", StartDate: "2026-01-01", By: "ann"}
	if err := s.SaveCustomerConnection(ctx, "acme", c); err != nil {
		t.Fatal(err)
	}
	got, err := s.CustomerConnection(ctx, "acme", "cus_1")
	if err != nil || got.QBOID != "58" || got.StartDate != "2026-01-01" || got.Mode != store.ConnectLatch || got.At.IsZero() {
		t.Errorf("connection = %+v, %v", got, err)
	}
	if log, _ := s.AuditLog(ctx, "acme", 5); len(log) != 1 || log[0].Action != "connect_customer" {
		t.Errorf("audit log = %+v, want the connect", log)
	}
}
