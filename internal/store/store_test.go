package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/store"
)

var stack *localaws.Stack

func TestMain(m *testing.M) { localaws.Main(m, &stack) }

// newStore returns a store on a fresh table in DynamoDB Local.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	_, _, res := stack.ForTest(t)
	return store.New(stack.DynamoDB, res.Table, nil).WithSealer(testSealer(t))
}

func snap(tenant string, version int64) store.Snapshot {
	return store.Snapshot{Tenant: tenant, Kind: billing.KindInvoice, ID: "inv_1", Version: version,
		CustomerID: "cus_1", Action: "updated", EventID: fmt.Sprintf("evt_%d", version),
		OccurredAt: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), ReceivedAt: time.Now(),
		Data: []byte(fmt.Sprintf(`{"id":"inv_1","version":%d}`, version))}
}

func TestSnapshotKeepsHighestVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.PutSnapshot(ctx, snap("acme", 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSnapshot(ctx, snap("acme", 1)); !errors.Is(err, store.ErrStale) {
		t.Fatalf("older version: err = %v, want ErrStale", err)
	}
	var unchanged *store.UnchangedError
	if err := s.PutSnapshot(ctx, snap("acme", 2)); !errors.As(err, &unchanged) || unchanged.Status != store.StatusNotTried {
		t.Fatalf("same version again (a retried webhook): err = %v, want *UnchangedError with the status not_tried", err)
	}
	other := snap("acme", 2)
	other.Data = []byte(`{"id":"inv_1","version":2,"total":900}`)
	var conflict *store.VersionConflictError
	if err := s.PutSnapshot(ctx, other); !errors.As(err, &conflict) || conflict.Field != "total" {
		t.Fatalf("same version, other content: err = %v, want *VersionConflictError naming total", err)
	}
	got, err := s.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || string(got.Data) != `{"id":"inv_1","version":2}` || got.Status != store.StatusNotTried {
		t.Errorf("entity = v%d %s %s, want v2 with its data, not_tried", got.Version, got.Data, got.Status)
	}
	if _, err := s.Entity(ctx, "other", billing.KindInvoice, "inv_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another tenant reads %v, want ErrNotFound", err)
	}
}

func TestStatusOnlyForCurrentVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.PutSnapshot(ctx, snap("acme", 1)); err != nil {
		t.Fatal(err)
	}
	w := &store.Warning{Code: "6240", Message: "Duplicate Name Exists Error", Detail: "The name supplied already exists."}
	if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Status: store.StatusWarning, Version: 1, Warning: w}); err != nil {
		t.Fatal(err)
	}
	warned, err := s.EntitiesByStatus(ctx, "acme", store.StatusWarning, billing.KindInvoice)
	if err != nil || len(warned) != 1 || warned[0].Warning == nil || warned[0].Warning.Code != "6240" {
		t.Fatalf("warnings = %+v, %v; want the invoice with code 6240", warned, err)
	}
	if err := s.PutSnapshot(ctx, snap("acme", 2)); err != nil {
		t.Fatal(err)
	}
	err = s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Status: store.StatusSynced, Version: 1})
	if !errors.Is(err, store.ErrStale) {
		t.Fatalf("status of an older version: err = %v, want ErrStale", err)
	}
	got, _ := s.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if got.Status != store.StatusNotTried || got.Warning != nil {
		t.Errorf("after v2 arrived: status %s warning %+v, want not_tried without warning", got.Status, got.Warning)
	}
	if left, _ := s.EntitiesByStatus(ctx, "acme", store.StatusWarning, ""); len(left) != 0 {
		t.Errorf("status index still lists %d warnings", len(left))
	}
}

func TestLinkConditionalWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	l := store.Link{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_1", RealmID: "r1", State: store.LinkCreating, RequestID: "abc"}
	first, err := s.PutLink(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutLink(ctx, l); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second intent for the same entity: err = %v, want ErrConflict", err)
	}
	first.State, first.QBOID, first.SyncToken = store.LinkLinked, "58", "0"
	if _, err := s.PutLink(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.Link(ctx, "acme", billing.KindCustomer, "cus_1")
	if err != nil || !got.Linked() || got.QBOID != "58" || got.Rev != 2 {
		t.Fatalf("link = %+v, %v; want linked to 58 at rev 2", got, err)
	}
}

func TestDependents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	parent := billing.Ref{Kind: billing.KindCustomer, ID: "cus_1"}
	inv := store.Dependent{Kind: billing.KindInvoice, ID: "inv_1", CustomerID: "cus_1"}
	for i := 0; i < 2; i++ { // recording twice is harmless
		if _, err := s.AddDependent(ctx, "acme", parent, inv); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if _, err := s.AddDependent(ctx, "acme", billing.Ref{Kind: billing.KindCustomer, ID: "cus_10"}, store.Dependent{Kind: billing.KindInvoice, ID: "inv_9"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	deps, err := s.Dependents(ctx, "acme", parent)
	if err != nil || len(deps) != 1 || deps[0] != inv {
		t.Fatalf("dependents of cus_1 = %+v, %v; want only inv_1 (not cus_10's)", deps, err)
	}
	if err := s.RemoveDependent(ctx, "acme", parent, inv); err != nil {
		t.Fatal(err)
	}
	if deps, _ := s.Dependents(ctx, "acme", parent); len(deps) != 0 {
		t.Errorf("dependents after removal = %+v", deps)
	}
}

// TestForgottenLinksKeepTheirDependentsCount: forgetting a tenant's links
// keeps the edges, so it keeps their count too: the entity's next link
// must still wake them, and the count alone is no link.
func TestForgottenLinksKeepTheirDependentsCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	awaited := store.Link{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_1", RealmID: "9130",
		State: store.LinkLinked, QBOID: "58"}
	alone := awaited
	alone.ID, alone.QBOID = "cus_2", "59"
	for _, l := range []store.Link{awaited, alone} {
		if _, err := s.PutLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	parent := billing.Ref{Kind: billing.KindCustomer, ID: "cus_1"}
	if _, err := s.AddDependent(ctx, "acme", parent, store.Dependent{Kind: billing.KindInvoice, ID: "inv_1"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ForgetLinks(ctx, "acme"); err != nil || n != 2 {
		t.Fatalf("forgot %d links, %v; want 2", n, err)
	}
	if links, err := s.Links(ctx, "acme"); err != nil || len(links) != 0 {
		t.Fatalf("links after forgetting = %+v, %v; want none", links, err)
	}
	if _, err := s.Link(ctx, "acme", billing.KindCustomer, "cus_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("forgotten link reads %v, want ErrNotFound", err)
	}
	if n, err := s.ForgetLinks(ctx, "acme"); err != nil || n != 0 {
		t.Errorf("forgetting again: %d, %v; want 0 (a kept count is no link)", n, err)
	}
	again, err := s.PutLink(ctx, store.Link{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_1", RealmID: "9140",
		State: store.LinkLinked, QBOID: "7"})
	if err != nil || !again.Awaited() || again.Rev != 1 || again.QBOID != "7" {
		t.Fatalf("the customer linked again: %+v, %v; want rev 1, awaited by the invoice", again, err)
	}
	if deps, err := s.Dependents(ctx, "acme", parent); err != nil || len(deps) != 1 {
		t.Errorf("dependents after forgetting = %+v, %v; want the invoice", deps, err)
	}
}

func TestTenantsEventsConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateTenant(ctx, store.Tenant{ID: "acme", Name: "Acme", WebhookSecrets: []string{"s1", "s2"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, store.Tenant{ID: "acme"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("creating a tenant twice: err = %v, want ErrConflict", err)
	}
	secrets, err := s.WebhookSecrets(ctx, "acme")
	if err != nil || len(secrets) != 2 || string(secrets[1]) != "s2" {
		t.Errorf("secrets = %q, %v", secrets, err)
	}
	if _, err := s.WebhookSecrets(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown tenant: err = %v, want ErrNotFound", err)
	}
	if ids, err := s.TenantIDs(ctx); err != nil || len(ids) != 1 || ids[0] != "acme" {
		t.Errorf("tenant ids = %v, %v", ids, err)
	}
	if seen, _ := s.EventSeen(ctx, "acme", "evt_1"); seen {
		t.Error("event seen before it was recorded")
	}
	if err := s.RecordEvent(ctx, "acme", "evt_1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if seen, _ := s.EventSeen(ctx, "acme", "evt_1"); !seen {
		t.Error("recorded event not seen")
	}
	if seen, _ := s.EventSeen(ctx, "other", "evt_1"); seen {
		t.Error("another tenant sees acme's event")
	}
	c, err := s.SaveConnection(ctx, store.Connection{Tenant: "acme", RealmID: "r1", Status: store.ConnConnected, RefreshToken: "rt1"})
	if err != nil {
		t.Fatal(err)
	}
	stale := c
	c.RefreshToken = "rt2"
	if _, err := s.SaveConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	stale.RefreshToken = "rt-old"
	if _, err := s.SaveConnection(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a refresh that lost the race overwrote the token: err = %v", err)
	}
	got, _ := s.Connection(ctx, "acme")
	if got.RefreshToken != "rt2" {
		t.Errorf("refresh token = %q, want the winner's rt2", got.RefreshToken)
	}
}
