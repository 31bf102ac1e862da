package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/store/memstore"
)

func TestExpiryWarning(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name          string
		rolling, hard time.Duration // from now; 0: unknown
		want          string        // warning code, "" for none
	}{
		{"fresh connection", 100 * day, 5 * 365 * day, ""},
		{"hard expiry unknown", 100 * day, 0, ""},
		{"hard expiry in 31 days", 100 * day, 31 * day, ""},
		{"hard expiry in 29 days", 100 * day, 29 * day, qboauth.WarnHardExpiry},
		{"rolling expiry in 13 days", 13 * day, 5 * 365 * day, qboauth.WarnRefreshExpiring},
		{"both near: the hard one wins", 3 * day, 3 * day, qboauth.WarnHardExpiry},
	}
	for _, tt := range tests {
		c := store.Connection{RefreshExpiresAt: now.Add(tt.rolling)}
		if tt.hard != 0 {
			c.RefreshHardExpiresAt = now.Add(tt.hard)
		}
		got := ExpiryWarning(c, now)
		if code := codeOf(got); code != tt.want {
			t.Errorf("%s: warning %q, want %q", tt.name, code, tt.want)
		}
	}
}

func codeOf(w *store.Warning) string {
	if w == nil {
		return ""
	}
	return w.Code
}

// countingStore is the in-memory store, held to the DynamoDB store's
// contract, counting the connection-warning writes.
type countingStore struct {
	*memstore.Store
	set int
}

func (c *countingStore) SetConnectionWarning(ctx context.Context, tenant string, w *store.Warning) error {
	c.set++
	return c.Store.SetConnectionWarning(ctx, tenant, w)
}

// warning is the connection's warning as stored.
func (c *countingStore) warning(t *testing.T) *store.Warning {
	t.Helper()
	conn, err := c.ConnectionStatus(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return conn.Warning
}

type storeTokens struct{ s *countingStore }

func (f storeTokens) Token(ctx context.Context, tenant string, _ bool) (store.Connection, error) {
	return f.s.Connection(ctx, tenant)
}

type fakeQueue struct{}

func (fakeQueue) Publish(context.Context, queue.Message) error { return nil }

type fakeChecker struct{ checked int }

func (f *fakeChecker) Check(context.Context, store.Connection) (store.Readiness, error) {
	f.checked++
	return store.Readiness{}, nil
}

func TestPassWarnsAheadAndClears(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	st := &countingStore{Store: memstore.New(func() time.Time { return now })}
	if err := st.CreateTenant(ctx, store.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	conn, err := st.SaveConnection(ctx, store.Connection{Tenant: "acme", RealmID: "9130", Status: store.ConnConnected,
		AccessExpiresAt: now.Add(2 * time.Hour), RefreshExpiresAt: now.Add(100 * 24 * time.Hour),
		RefreshHardExpiresAt: now.Add(20 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ready := &fakeChecker{}
	s := New(st, storeTokens{st}, fakeQueue{}, ready, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if _, err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if codeOf(st.warning(t)) != qboauth.WarnHardExpiry || ready.checked != 1 {
		t.Fatalf("first pass: warning %q, readiness checks %d; want the hard-expiry warning and one check", codeOf(st.warning(t)), ready.checked)
	}
	if _, err := s.Run(ctx); err != nil || st.set != 1 {
		t.Fatalf("second pass rewrote an unchanged warning (%d writes, %v)", st.set, err)
	}
	// A reconnect starts a new five-year term: the warning goes away.
	conn, _ = st.Connection(ctx, "acme")
	conn.RefreshHardExpiresAt = now.Add(5 * 365 * 24 * time.Hour)
	if _, err := st.SaveConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx); err != nil || st.warning(t) != nil {
		t.Fatalf("after reconnect: warning %v (%v), want none", st.warning(t), err)
	}
	// Warnings the scheduler did not set stay.
	if err := st.Store.SetConnectionWarning(ctx, "acme", &store.Warning{Code: "something_else", Message: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx); err != nil || codeOf(st.warning(t)) != "something_else" {
		t.Fatalf("another warning was cleared: %v", st.warning(t))
	}
}
