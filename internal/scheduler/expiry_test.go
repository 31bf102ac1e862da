package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
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

// fakes for one scheduler pass over one connected tenant.
type fakeStore struct {
	conn    store.Connection
	warning *store.Warning
	set     int
}

func (f *fakeStore) TenantIDs(context.Context) ([]string, error)      { return []string{"acme"}, nil }
func (f *fakeStore) ClaimRealm(context.Context, string, string) error { return nil }
func (f *fakeStore) ConnectionStatus(context.Context, string) (store.Connection, error) {
	c := f.conn
	c.Warning = f.warning
	return c, nil
}
func (f *fakeStore) SetConnectionWarning(_ context.Context, _ string, w *store.Warning) error {
	f.warning, f.set = w, f.set+1
	return nil
}
func (f *fakeStore) WalkStatus(context.Context, string, store.Status, func(store.EntityState) error) error {
	return nil
}

type fakeTokens struct{ s *fakeStore }

func (f fakeTokens) Token(context.Context, string, bool) (store.Connection, error) {
	return f.s.ConnectionStatus(context.Background(), "acme")
}

type fakeQueue struct{}

func (fakeQueue) Publish(context.Context, queue.Message) error { return nil }

type fakeChecker struct{ checked int }

func (f *fakeChecker) Check(context.Context, store.Connection) (store.Readiness, error) {
	f.checked++
	return store.Readiness{}, nil
}

func TestPassWarnsAheadAndClears(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	st := &fakeStore{conn: store.Connection{Tenant: "acme", Status: store.ConnConnected,
		AccessExpiresAt: now.Add(2 * time.Hour), RefreshExpiresAt: now.Add(100 * 24 * time.Hour),
		RefreshHardExpiresAt: now.Add(20 * 24 * time.Hour)}}
	ready := &fakeChecker{}
	s := New(st, fakeTokens{st}, fakeQueue{}, ready, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if codeOf(st.warning) != qboauth.WarnHardExpiry || ready.checked != 1 {
		t.Fatalf("first pass: warning %q, readiness checks %d; want the hard-expiry warning and one check", codeOf(st.warning), ready.checked)
	}
	if _, err := s.Run(context.Background()); err != nil || st.set != 1 {
		t.Fatalf("second pass rewrote an unchanged warning (%d writes, %v)", st.set, err)
	}
	// A reconnect starts a new five-year term: the warning goes away.
	st.conn.RefreshHardExpiresAt = now.Add(5 * 365 * 24 * time.Hour)
	if _, err := s.Run(context.Background()); err != nil || st.warning != nil {
		t.Fatalf("after reconnect: warning %v (%v), want none", st.warning, err)
	}
	// Warnings the scheduler did not set stay.
	st.warning = &store.Warning{Code: "something_else", Message: "x"}
	if _, err := s.Run(context.Background()); err != nil || codeOf(st.warning) != "something_else" {
		t.Fatalf("another warning was cleared: %v", st.warning)
	}
}

func (f *fakeStore) Link(context.Context, string, billing.Kind, string) (store.Link, error) {
	return store.Link{}, store.ErrNotFound
}
