package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// Run checks the contract on stores newStore returns, each empty.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s Store)
	}{
		{"SnapshotKeepsTheNewestVersion", snapshotKeepsTheNewestVersion},
		{"StatusOnlyForItsVersion", statusOnlyForItsVersion},
		{"LinkWrittenAtItsRevision", linkWrittenAtItsRevision},
		{"LinkKeepsItsRefunds", linkKeepsItsRefunds},
		{"LinkOfTheOlderRefundFormIsRead", linkOfTheOlderRefundFormIsRead},
		{"DependentsListedAndRemoved", dependentsListedAndRemoved},
		{"DependentsCountedOnTheParentsLink", dependentsCountedOnTheParentsLink},
		{"TenantAndSettingsRevision", tenantAndSettingsRevision},
		{"EventsSeenUntilTheyExpire", eventsSeenUntilTheyExpire},
		{"CustomerConnections", customerConnections},
		{"RealmRest", realmRest},
		{"ConnectionAtItsRevision", connectionAtItsRevision},
		{"CompanyHasOneOwner", companyHasOneOwner},
		{"WalkVisitsOneStatus", walkVisitsOneStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has a store of its own
			tt.test(t, newStore(t))
		})
	}
}

var ctx = context.Background()

func snap(tenant string, version int64, data string) record.Snapshot {
	return record.Snapshot{Tenant: tenant, Kind: billing.KindInvoice, ID: "inv_1", Version: version,
		CustomerID: "cus_1", Action: "updated", EventID: fmt.Sprintf("evt_%d", version),
		OccurredAt: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		ReceivedAt: time.Date(2026, 11, 21, 10, 0, 1, 0, time.UTC), Data: []byte(data)}
}

func mustPut(t *testing.T, s Store, sn record.Snapshot) {
	t.Helper()
	if err := s.PutSnapshot(ctx, sn); err != nil {
		t.Fatalf("put v%d: %v", sn.Version, err)
	}
}

func snapshotKeepsTheNewestVersion(t *testing.T, s Store) {
	mustPut(t, s, snap("acme", 2, `{"id":"inv_1","version":2}`))
	if err := s.PutSnapshot(ctx, snap("acme", 1, `{"id":"inv_1","version":1}`)); !errors.Is(err, record.ErrStale) {
		t.Errorf("older version: err = %v, want ErrStale", err)
	}
	var unchanged *record.UnchangedError
	if err := s.PutSnapshot(ctx, snap("acme", 2, `{"version":2,"id":"inv_1"}`)); !errors.As(err, &unchanged) || unchanged.Status != record.StatusNotTried {
		t.Errorf("same version, same JSON: err = %v, want *UnchangedError with not_tried", err)
	}
	var conflict *record.VersionConflictError
	if err := s.PutSnapshot(ctx, snap("acme", 2, `{"id":"inv_1","version":2,"total":900}`)); !errors.As(err, &conflict) || conflict.Field != "total" {
		t.Errorf("same version, other content: err = %v, want *VersionConflictError naming total", err)
	}
	got, err := s.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || string(got.Data) != `{"id":"inv_1","version":2}` || got.Status != record.StatusNotTried ||
		got.CustomerID != "cus_1" || got.EventID != "evt_2" || !got.OccurredAt.Equal(snap("", 0, "").OccurredAt) {
		t.Errorf("entity = %+v, want v2 as first stored, not_tried", got)
	}
	if _, err := s.Entity(ctx, "other", billing.KindInvoice, "inv_1"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("another tenant reads %v, want ErrNotFound", err)
	}
	mustPut(t, s, snap("other", 1, `{"id":"inv_1","version":1}`))
	if got, _ := s.Entity(ctx, "other", billing.KindInvoice, "inv_1"); got.Version != 1 {
		t.Errorf("another tenant's entity is v%d, want its own v1", got.Version)
	}
}

func statusOnlyForItsVersion(t *testing.T, s Store) {
	mustPut(t, s, snap("acme", 1, `{"v":1}`))
	w := &record.Warning{Code: "6240", Message: "Duplicate Name Exists Error", Retryable: true}
	u := record.StatusUpdate{Status: record.StatusWarning, Version: 1, Warning: w}
	for range 2 {
		if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_1", u); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if got.Status != record.StatusWarning || got.Warning == nil || *got.Warning != *w || got.Attempts != 2 || got.StatusVersion != 1 {
		t.Errorf("after two warnings: %s %+v, %d attempts, status v%d; want warning 6240, 2 attempts, v1",
			got.Status, got.Warning, got.Attempts, got.StatusVersion)
	}
	if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_1", record.StatusUpdate{Status: record.StatusSynced, Version: 2}); !errors.Is(err, record.ErrStale) {
		t.Errorf("status of a version not stored: err = %v, want ErrStale", err)
	}
	if err := s.SetStatus(ctx, "other", billing.KindInvoice, "inv_1", record.StatusUpdate{Status: record.StatusSynced, Version: 1}); !errors.Is(err, record.ErrStale) {
		t.Errorf("status for another tenant: err = %v, want ErrStale", err)
	}
	mustPut(t, s, snap("acme", 2, `{"v":2}`))
	got, _ = s.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if got.Status != record.StatusNotTried || got.Warning != nil || got.Attempts != 0 || got.WaitingOn != "" {
		t.Errorf("after a new version: %s %+v, %d attempts; want not_tried without warning, 0 attempts", got.Status, got.Warning, got.Attempts)
	}
	if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_1", record.StatusUpdate{Status: record.StatusWaiting, Version: 1}); !errors.Is(err, record.ErrStale) {
		t.Errorf("an old version's outcome after the new one arrived: err = %v, want ErrStale", err)
	}
	if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_1", record.StatusUpdate{Status: record.StatusWaiting, Version: 2, WaitingOn: "customer/cus_1"}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Entity(ctx, "acme", billing.KindInvoice, "inv_1"); got.Status != record.StatusWaiting || got.WaitingOn != "customer/cus_1" {
		t.Errorf("waiting: %s on %q, want waiting on customer/cus_1", got.Status, got.WaitingOn)
	}
}

func linkWrittenAtItsRevision(t *testing.T, s Store) {
	if _, err := s.Link(ctx, "acme", billing.KindInvoice, "inv_1"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("no link yet: err = %v, want ErrNotFound", err)
	}
	intent := record.Link{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", RealmID: "9130",
		State: record.LinkCreating, RequestID: "req-1", IntentAt: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		Extra: map[string]string{"intent_hash": "h1"}}
	first, err := s.PutLink(ctx, intent)
	if err != nil || first.Rev != 1 {
		t.Fatalf("first write: rev %d, %v; want rev 1", first.Rev, err)
	}
	if _, err := s.PutLink(ctx, intent); !errors.Is(err, record.ErrConflict) {
		t.Errorf("a second first write: err = %v, want ErrConflict", err)
	}
	linked := first
	linked.State, linked.QBOID, linked.SyncToken, linked.SentHash = record.LinkLinked, "145", "0", "h1"
	second, err := s.PutLink(ctx, linked)
	if err != nil || second.Rev != 2 {
		t.Fatalf("write at rev 1: rev %d, %v; want rev 2", second.Rev, err)
	}
	if _, err := s.PutLink(ctx, linked); !errors.Is(err, record.ErrConflict) {
		t.Errorf("a write at a revision already passed: err = %v, want ErrConflict", err)
	}
	got, err := s.Link(ctx, "acme", billing.KindInvoice, "inv_1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Linked() || got.QBOID != "145" || got.SyncToken != "0" || got.RealmID != "9130" || got.RequestID != "req-1" ||
		got.Rev != 2 || got.Extra["intent_hash"] != "h1" || !got.IntentAt.Equal(intent.IntentAt) {
		t.Errorf("link = %+v, want linked to 145 at rev 2 with its intent's fields", got)
	}
	got.Extra["intent_hash"] = "changed by the caller"
	if again, _ := s.Link(ctx, "acme", billing.KindInvoice, "inv_1"); again.Extra["intent_hash"] != "h1" {
		t.Errorf("a caller's change to a read link reached the store: %q", again.Extra["intent_hash"])
	}
	if _, err := s.Link(ctx, "other", billing.KindInvoice, "inv_1"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("another tenant reads the link: err = %v, want ErrNotFound", err)
	}
}

func paymentLink() record.Link {
	return record.Link{Tenant: "acme", Kind: billing.KindPayment, ID: "pay_1", RealmID: "9130",
		State: record.LinkLinked, QBOID: "170", SyncToken: "2"}
}

func mustLink(t *testing.T, s Store, kind billing.Kind, id string) record.Link {
	t.Helper()
	l, err := s.Link(ctx, "acme", kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func linkKeepsItsRefunds(t *testing.T, s Store) {
	l := paymentLink()
	l.Refunds = map[string]record.RefundEntry{
		"ref_1": {JournalEntryID: "301", Amount: 1250},
		"ref_2": {JournalEntryID: "302", Amount: 99_999_999_999_99},
	}
	saved, err := s.PutLink(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	got := mustLink(t, s, billing.KindPayment, "pay_1")
	if !maps.Equal(got.Refunds, l.Refunds) {
		t.Errorf("refunds read back = %+v, want %+v", got.Refunds, l.Refunds)
	}
	got.Refunds["ref_1"] = record.RefundEntry{JournalEntryID: "changed by the caller"}
	if again := mustLink(t, s, billing.KindPayment, "pay_1"); again.Refunds["ref_1"].JournalEntryID != "301" {
		t.Errorf("a caller's change to a read link reached the store: %+v", again.Refunds["ref_1"])
	}
	saved.SetRefunds(nil)
	if _, err := s.PutLink(ctx, saved); err != nil {
		t.Fatal(err)
	}
	if got := mustLink(t, s, billing.KindPayment, "pay_1"); got.Refunds != nil {
		t.Errorf("every refund removed: refunds = %+v, want none", got.Refunds)
	}
}

// A payment's link written before Link.Refunds existed keeps its refunds
// in Extra ("refund:<id>" → "<journal entry id>|<amount>"): they are read
// from there, and the next write moves them to the typed field.
func linkOfTheOlderRefundFormIsRead(t *testing.T, s Store) {
	l := paymentLink()
	l.Extra = map[string]string{"refund:ref_1": "301|1250", "intent_hash": "h1"}
	if _, err := s.PutLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	old := mustLink(t, s, billing.KindPayment, "pay_1")
	refunds, err := old.RefundEntries()
	want := map[string]record.RefundEntry{"ref_1": {JournalEntryID: "301", Amount: 1250}}
	if err != nil || !maps.Equal(refunds, want) {
		t.Fatalf("refunds of the older form = %+v, %v; want %+v", refunds, err, want)
	}
	refunds["ref_2"] = record.RefundEntry{JournalEntryID: "302", Amount: 500}
	old.SetRefunds(refunds)
	if _, err := s.PutLink(ctx, old); err != nil {
		t.Fatal(err)
	}
	got := mustLink(t, s, billing.KindPayment, "pay_1")
	if _, left := got.Extra["refund:ref_1"]; left || got.Extra["intent_hash"] != "h1" {
		t.Errorf("extra after the rewrite = %v, want the older refund key gone and the rest kept", got.Extra)
	}
	if again, err := got.RefundEntries(); err != nil || len(again) != 2 || again["ref_1"] != want["ref_1"] {
		t.Errorf("refunds after the rewrite = %+v, %v; want ref_1 and ref_2 in the typed field", again, err)
	}
}

func dependentsListedAndRemoved(t *testing.T, s Store) {
	parent := billing.Ref{Kind: billing.KindCustomer, ID: "cus_1"}
	pay := record.Dependent{Kind: billing.KindPayment, ID: "pay_1", CustomerID: "cus_1"}
	inv2 := record.Dependent{Kind: billing.KindInvoice, ID: "inv_2", CustomerID: "cus_1"}
	inv1 := record.Dependent{Kind: billing.KindInvoice, ID: "inv_1", CustomerID: "cus_1"}
	for _, d := range []record.Dependent{pay, inv2, inv1, inv2} {
		if _, err := s.AddDependent(ctx, "acme", parent, d); !errors.Is(err, record.ErrNotFound) {
			t.Fatalf("add a dependent of a parent without a link: err = %v, want ErrNotFound", err)
		}
	}
	got, err := s.Dependents(ctx, "acme", parent)
	if want := []record.Dependent{inv1, inv2, pay}; err != nil || !slices.Equal(got, want) {
		t.Errorf("dependents = %+v, %v; want %+v (each once, by kind and id)", got, err, want)
	}
	if err := s.RemoveDependent(ctx, "acme", parent, inv2); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Dependents(ctx, "acme", parent); !slices.Equal(got, []record.Dependent{inv1, pay}) {
		t.Errorf("after removing inv_2: %+v", got)
	}
	if got, _ = s.Dependents(ctx, "other", parent); len(got) != 0 {
		t.Errorf("another tenant sees %+v", got)
	}
	if got, _ = s.Dependents(ctx, "acme", billing.Ref{Kind: billing.KindCustomer, ID: "cus_10"}); len(got) != 0 {
		t.Errorf("a parent whose id extends cus_1 has %+v", got)
	}
}

// dependentsCountedOnTheParentsLink: every dependent recorded moves the
// parent link's count, which every read and write of that link returns,
// so a parent that sees the count where its last wake-up left it has
// nobody to wake, whenever the dependent came.
func dependentsCountedOnTheParentsLink(t *testing.T, s Store) {
	parent := billing.Ref{Kind: billing.KindInvoice, ID: "inv_1"}
	pay1 := record.Dependent{Kind: billing.KindPayment, ID: "pay_1", CustomerID: "cus_1"}
	pay2 := record.Dependent{Kind: billing.KindPayment, ID: "pay_2", CustomerID: "cus_1"}
	pay3 := record.Dependent{Kind: billing.KindPayment, ID: "pay_3", CustomerID: "cus_1"}
	if _, err := s.AddDependent(ctx, "acme", parent, pay1); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("dependent of an invoice without a link: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Link(ctx, "acme", billing.KindInvoice, "inv_1"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("the count alone reads as a link: err = %v, want ErrNotFound", err)
	}
	intent := record.Link{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", RealmID: "9130",
		State: record.LinkCreating, RequestID: "req-1"}
	read, err := s.PutLink(ctx, intent)
	if err != nil || !read.Awaited() || read.Waiters != 1 {
		t.Fatalf("first write after a dependent: %+v, %v; want rev 1 awaited by 1", read, err)
	}
	if err := s.MarkWoken(ctx, "acme", parent, read.Waiters); err != nil {
		t.Fatal(err)
	}
	if read = mustLink(t, s, billing.KindInvoice, "inv_1"); read.Awaited() {
		t.Fatalf("after the wake-up: %+v, want nothing awaited", read)
	}
	// A dependent counted between the parent's read and its linking write
	// is in what that write returns.
	seen, err := s.AddDependent(ctx, "acme", parent, pay2)
	if err != nil || seen.Linked() || seen.Rev != 1 {
		t.Fatalf("dependent of the invoice being created sees %+v, %v; want the intent", seen, err)
	}
	linked := read
	linked.State, linked.QBOID, linked.SyncToken = record.LinkLinked, "145", "0"
	saved, err := s.PutLink(ctx, linked)
	if err != nil || !saved.Awaited() || saved.Waiters != 2 || saved.Woken != 1 {
		t.Fatalf("linking write decided before the dependent came: %+v, %v; want awaited (2 counted, 1 woken)", saved, err)
	}
	if got := mustLink(t, s, billing.KindInvoice, "inv_1"); got.Waiters != 2 || got.Woken != 1 || !got.Linked() {
		t.Errorf("stored link %+v, want linked with 2 counted and 1 woken", got)
	}
	if err := s.MarkWoken(ctx, "acme", parent, saved.Waiters); err != nil {
		t.Fatal(err)
	}
	// Counted after the linking write: it reads the invoice linked.
	if seen, err = s.AddDependent(ctx, "acme", parent, pay3); err != nil || !seen.Linked() || seen.QBOID != "145" {
		t.Fatalf("dependent after the link sees %+v, %v; want it linked to 145", seen, err)
	}
	if err := s.MarkWoken(ctx, "acme", parent, 1); err != nil {
		t.Fatal(err)
	}
	if got := mustLink(t, s, billing.KindInvoice, "inv_1"); !got.Awaited() || got.Waiters != 3 || got.Woken != 2 {
		t.Errorf("after an older wake-up's mark: %+v, want 3 counted and 2 woken (the mark never moves back)", got)
	}
	if _, err := s.AddDependent(ctx, "other", parent, pay1); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("another tenant's dependent: err = %v, want ErrNotFound (its own invoice has no link)", err)
	}
	if got := mustLink(t, s, billing.KindInvoice, "inv_1"); got.Waiters != 3 {
		t.Errorf("another tenant's dependent moved acme's count to %d", got.Waiters)
	}
}

func tenantAndSettingsRevision(t *testing.T, s Store) {
	if _, err := s.Tenant(ctx, "acme"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("unknown tenant: err = %v, want ErrNotFound", err)
	}
	if err := s.CreateTenant(ctx, record.Tenant{ID: "acme", Name: "Acme", WebhookSecrets: []string{"whsec_1"},
		Settings: record.Settings{TaxMode: record.TaxNone}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, record.Tenant{ID: "acme", Name: "Again"}); !errors.Is(err, record.ErrConflict) {
		t.Errorf("second create: err = %v, want ErrConflict", err)
	}
	if sec, err := s.WebhookSecrets(ctx, "acme"); err != nil || len(sec) != 1 || string(sec[0]) != "whsec_1" {
		t.Errorf("secrets = %q, %v; want whsec_1", sec, err)
	}
	if _, err := s.WebhookSecrets(ctx, "other"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("secrets of an unknown tenant: err = %v, want ErrNotFound", err)
	}
	ten, err := s.Tenant(ctx, "acme")
	if err != nil || ten.Name != "Acme" || ten.Settings.TaxMode != record.TaxNone || ten.SettingsRev != 0 {
		t.Fatalf("tenant = %+v, %v; want Acme, tax none, settings rev 0", ten, err)
	}
	st := ten.Settings
	st.DepositAccountID = "35"
	if err := s.SaveSettings(ctx, "acme", st, ten.SettingsRev); err != nil {
		t.Fatal(err)
	}
	st.DepositAccountID = "36"
	if err := s.SaveSettings(ctx, "acme", st, ten.SettingsRev); !errors.Is(err, record.ErrConflict) {
		t.Errorf("save at a passed revision: err = %v, want ErrConflict", err)
	}
	if ten, _ = s.Tenant(ctx, "acme"); ten.Settings.DepositAccountID != "35" || ten.SettingsRev != 1 {
		t.Errorf("settings = %+v rev %d, want deposit 35 at rev 1", ten.Settings, ten.SettingsRev)
	}
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, when := range []time.Time{at, at.Add(-time.Hour)} {
		if err := s.MarkSynced(ctx, "acme", when); err != nil {
			t.Fatal(err)
		}
	}
	if ten, _ = s.Tenant(ctx, "acme"); !ten.LastSyncAt.Equal(at) {
		t.Errorf("last sync = %v, want %v (never moved back)", ten.LastSyncAt, at)
	}
}

func eventsSeenUntilTheyExpire(t *testing.T, s Store) {
	if seen, err := s.EventSeen(ctx, "acme", "evt_1"); err != nil || seen {
		t.Fatalf("unknown event: seen %v, %v", seen, err)
	}
	if err := s.RecordEvent(ctx, "acme", "evt_1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordEvent(ctx, "acme", "evt_old", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tenant, id string
		want       bool
	}{{"acme", "evt_1", true}, {"other", "evt_1", false}, {"acme", "evt_old", false}} {
		if seen, err := s.EventSeen(ctx, c.tenant, c.id); err != nil || seen != c.want {
			t.Errorf("%s/%s seen = %v, %v; want %v", c.tenant, c.id, seen, err, c.want)
		}
	}
}

func customerConnections(t *testing.T, s Store) {
	if _, err := s.CustomerConnection(ctx, "acme", "cus_1"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("never connected: err = %v, want ErrNotFound", err)
	}
	c := record.CustomerConnection{CustomerID: "cus_1", Mode: record.ConnectLatch, QBOID: "58",
		StartDate: "2026-01-01", By: "admin@acme", At: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	if err := s.SaveCustomerConnection(ctx, "acme", c); err != nil {
		t.Fatal(err)
	}
	got, err := s.CustomerConnection(ctx, "acme", "cus_1")
	if err != nil || got.QBOID != "58" || got.StartDate != "2026-01-01" || got.Mode != record.ConnectLatch {
		t.Errorf("connection = %+v, %v; want latched to 58 from 2026-01-01", got, err)
	}
	if _, err := s.CustomerConnection(ctx, "other", "cus_1"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("another tenant: err = %v, want ErrNotFound", err)
	}
}

func realmRest(t *testing.T, s Store) {
	if until, err := s.RealmThrottledUntil(ctx, "9130"); err != nil || !until.IsZero() {
		t.Fatalf("a fresh realm rests until %v, %v", until, err)
	}
	until := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	if err := s.ThrottleRealm(ctx, "9130", until); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RealmThrottledUntil(ctx, "9130"); err != nil || !got.Equal(until) {
		t.Errorf("rests until %v, %v; want %v", got, err, until)
	}
	if got, _ := s.RealmThrottledUntil(ctx, "9131"); !got.IsZero() {
		t.Errorf("another realm rests until %v", got)
	}
}

func connectionAtItsRevision(t *testing.T, s Store) {
	if _, err := s.ConnectionStatus(ctx, "acme"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("never connected: err = %v, want ErrNotFound", err)
	}
	if err := s.SetConnectionWarning(ctx, "acme", &record.Warning{Message: "x"}); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("warning on no connection: err = %v, want ErrNotFound", err)
	}
	c := record.Connection{Tenant: "acme", RealmID: "9130", AccessToken: "at-1", RefreshToken: "rt-1",
		Status: record.ConnConnected, RefreshExpiresAt: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	saved, err := s.SaveConnection(ctx, c)
	if err != nil || saved.Rev != 1 {
		t.Fatalf("first save: rev %d, %v; want rev 1", saved.Rev, err)
	}
	if _, err := s.SaveConnection(ctx, c); !errors.Is(err, record.ErrConflict) {
		t.Errorf("a second first save: err = %v, want ErrConflict", err)
	}
	w := &record.Warning{Code: "refresh_expiring", Message: "Reconnect within 13 days."}
	if err := s.SetConnectionWarning(ctx, "acme", w); err != nil {
		t.Fatal(err)
	}
	full, err := s.Connection(ctx, "acme")
	if err != nil || full.AccessToken != "at-1" || full.RefreshToken != "rt-1" || full.Rev != 1 ||
		full.Warning == nil || *full.Warning != *w || !full.RefreshExpiresAt.Equal(c.RefreshExpiresAt) {
		t.Errorf("connection = %+v, %v; want the tokens, rev 1 (a warning moves no revision) and the warning", full, err)
	}
	status, _ := s.ConnectionStatus(ctx, "acme")
	if status.AccessToken != "" || status.RefreshToken != "" || status.RealmID != "9130" || status.Warning == nil {
		t.Errorf("status = %+v, want realm and warning without tokens", status)
	}
	full.AccessToken = "at-2"
	if saved, err = s.SaveConnection(ctx, full); err != nil || saved.Rev != 2 {
		t.Errorf("save at rev 1: rev %d, %v; want rev 2", saved.Rev, err)
	}
	if _, err := s.SaveConnection(ctx, full); !errors.Is(err, record.ErrConflict) {
		t.Errorf("save at a passed revision: err = %v, want ErrConflict", err)
	}
	if err := s.SetConnectionWarning(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Connection(ctx, "acme"); c.Warning != nil || c.AccessToken != "at-2" {
		t.Errorf("after clearing: %+v, want no warning and the new token", c)
	}
	if _, err := s.Connection(ctx, "other"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("another tenant's connection: err = %v, want ErrNotFound", err)
	}
}

func companyHasOneOwner(t *testing.T, s Store) {
	for _, tenant := range []string{"acme", "acme"} {
		if err := s.ClaimRealm(ctx, "9130", tenant); err != nil {
			t.Fatalf("claim by %s: %v", tenant, err)
		}
	}
	var taken *record.RealmTakenError
	if err := s.ClaimRealm(ctx, "9130", "globex"); !errors.As(err, &taken) || taken.Owner != "acme" || taken.Realm != "9130" {
		t.Errorf("claim by another tenant: err = %v, want *RealmTakenError naming acme", err)
	}
	if err := s.ClaimRealm(ctx, "9131", "globex"); err != nil {
		t.Errorf("another company: %v", err)
	}
	if owner, err := s.RealmOwner(ctx, "9130"); err != nil || owner != "acme" {
		t.Errorf("owner of 9130 = %q, %v; want acme", owner, err)
	}
	if _, err := s.RealmOwner(ctx, "9132"); !errors.Is(err, record.ErrNotFound) {
		t.Errorf("owner of an unclaimed company: err = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"globex", "acme"} {
		if err := s.CreateTenant(ctx, record.Tenant{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	if ids, err := s.TenantIDs(ctx); err != nil || !slices.Equal(ids, []string{"acme", "globex"}) {
		t.Errorf("tenant ids = %v, %v; want [acme globex]", ids, err)
	}
}

func walkVisitsOneStatus(t *testing.T, s Store) {
	for _, id := range []string{"inv_1", "inv_2", "inv_3"} {
		sn := snap("acme", 1, `{"id":"`+id+`"}`)
		sn.ID = id
		mustPut(t, s, sn)
	}
	other := snap("other", 1, `{}`)
	mustPut(t, s, other)
	if err := s.SetStatus(ctx, "acme", billing.KindInvoice, "inv_2", record.StatusUpdate{Status: record.StatusSynced, Version: 1}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := s.WalkStatus(ctx, "acme", record.StatusNotTried, func(e record.EntityState) error {
		if len(e.Data) != 0 || e.Version != 1 || e.CustomerID != "cus_1" {
			t.Errorf("walked %+v, want version and customer without the snapshot", e)
		}
		seen = append(seen, e.ID)
		return nil
	})
	slices.Sort(seen)
	if err != nil || !slices.Equal(seen, []string{"inv_1", "inv_3"}) {
		t.Errorf("walked %v, %v; want inv_1 and inv_3 (not the synced one, not another tenant's)", seen, err)
	}
}
