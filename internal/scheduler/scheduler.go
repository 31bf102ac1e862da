// Package scheduler is the hourly safety net: it keeps every tenant's
// tokens alive and requeues what the event-driven path left behind.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// Store is what the scheduler reads and writes.
type Store interface {
	TenantIDs(ctx context.Context) ([]string, error)
	// ConnectionStatus reads the connection without opening its tokens.
	ConnectionStatus(ctx context.Context, tenant string) (store.Connection, error)
	SetConnectionWarning(ctx context.Context, tenant string, w *store.Warning) error
	// WalkStatus calls fn for each entity in status st, page by page and
	// without its snapshot.
	WalkStatus(ctx context.Context, tenant string, st store.Status, fn func(store.EntityState) error) error
	Link(ctx context.Context, tenant string, kind billing.Kind, id string) (store.Link, error)
	// ClaimRealm fails with *store.RealmTakenError for another tenant's company.
	ClaimRealm(ctx context.Context, realm, tenant string) error
}

// Checker re-checks a connected company's readiness (package readiness).
type Checker interface {
	Check(ctx context.Context, conn store.Connection) (store.Readiness, error)
}

// Tokens refreshes access tokens.
type Tokens interface {
	Token(ctx context.Context, tenant string, force bool) (store.Connection, error)
}

// Publisher queues entities again.
type Publisher interface {
	Publish(ctx context.Context, m queue.Message) error
}

// Scheduler runs one pass over every tenant.
type Scheduler struct {
	store     Store
	tokens    Tokens
	queue     Publisher
	readiness Checker
	now       func() time.Time
	log       *slog.Logger
}

// New returns a Scheduler. readiness may be nil (no hourly check).
func New(s Store, t Tokens, q Publisher, readiness Checker, now func() time.Time, log *slog.Logger) *Scheduler {
	if now == nil {
		now = time.Now
	}
	return &Scheduler{store: s, tokens: t, queue: q, readiness: readiness, now: now, log: log}
}

// Result counts what a pass did.
type Result struct {
	Tenants   int `json:"tenants"`
	Refreshed int `json:"refreshed"`
	Requeued  int `json:"requeued"`
	Failed    int `json:"failed"`
}

// Run visits every tenant; one tenant's failure does not stop the others.
func (s *Scheduler) Run(ctx context.Context) (Result, error) {
	ids, err := s.store.TenantIDs(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("list tenants: %w", err)
	}
	var res Result
	var errs []error
	for _, id := range ids {
		res.Tenants++
		refreshed, requeued, err := s.tenant(ctx, id)
		res.Requeued += requeued
		if refreshed {
			res.Refreshed++
		}
		if err != nil {
			res.Failed++
			errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			s.log.ErrorContext(ctx, "scheduler pass failed", "tenant", id, "err", err)
		}
	}
	s.log.InfoContext(ctx, "scheduler pass", "tenants", res.Tenants, "refreshed", res.Refreshed,
		"requeued", res.Requeued, "failed", res.Failed)
	return res, errors.Join(errs...)
}

// tokenHorizon: tokens that would expire before the next hourly pass are
// refreshed now, which also keeps idle tenants' refresh tokens rolling.
const tokenHorizon = 70 * time.Minute

func (s *Scheduler) tenant(ctx context.Context, id string) (refreshed bool, requeued int, err error) {
	conn, err := s.store.ConnectionStatus(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	if conn.Status != store.ConnConnected {
		return false, 0, nil // requeueing would only park the entities again
	}
	near := conn.AccessExpiresAt.Before(s.now().Add(tokenHorizon))
	if conn, err = s.tokens.Token(ctx, id, near); err != nil {
		if errors.Is(err, qboauth.ErrReconnect) {
			return false, 0, nil
		}
		return false, 0, fmt.Errorf("refresh token: %w", err)
	}
	refreshed = near
	s.claim(ctx, conn)
	if err := s.warnExpiry(ctx, conn); err != nil {
		return refreshed, 0, err
	}
	if s.readiness != nil {
		if _, err := s.readiness.Check(ctx, conn); err != nil {
			s.log.WarnContext(ctx, "readiness check", "tenant", id, "err", err)
		}
	}
	requeued, err = s.requeue(ctx, id)
	if err != nil {
		return refreshed, requeued, err
	}
	woken, err := s.wakeStranded(ctx, id, conn.RealmID)
	return refreshed, requeued + woken, err
}

// claim makes sure the connected company is claimed for the tenant:
// connections made before companies were claimed get their claim here.
// One already claimed by another tenant is logged for an operator; the
// tenant keeps syncing, as it did before.
func (s *Scheduler) claim(ctx context.Context, conn store.Connection) {
	err := s.store.ClaimRealm(ctx, conn.RealmID, conn.Tenant)
	var taken *store.RealmTakenError
	switch {
	case errors.As(err, &taken):
		s.log.ErrorContext(ctx, "company synced by two tenants without an operator's sharing", "tenant", conn.Tenant,
			"realm_id", conn.RealmID, "owner", taken.Owner)
	case err != nil:
		s.log.WarnContext(ctx, "claim company", "tenant", conn.Tenant, "realm_id", conn.RealmID, "err", err)
	}
}

// requeue sends again every not_tried entity that has sat longer than
// stuckAfter and every retryable warning whose back-off has passed, page
// by page.
func (s *Scheduler) requeue(ctx context.Context, tenant string) (int, error) {
	n := 0
	for _, st := range []store.Status{store.StatusNotTried, store.StatusWarning} {
		err := s.store.WalkStatus(ctx, tenant, st, func(e store.EntityState) error {
			if !s.due(e) {
				return nil
			}
			m := queue.Message{Tenant: tenant, Kind: e.Kind, ID: e.ID, CustomerID: e.CustomerID,
				Version: e.Version, Reason: "retry", Nonce: fmt.Sprintf("retry:%d", s.now().Unix()/3600)}
			if err := s.queue.Publish(ctx, m); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// stuckAfter: a not_tried entity untouched this long has no message left.
// A queued one is received within seconds, one deferred for a transient
// failure shows a warning (and so is touched) from its third try, and a
// failed message spends its five receives of the 6-minute visibility
// timeout in 30 minutes; sending a queued entity again would cost
// requests, never a duplicate.
const stuckAfter = 35 * time.Minute

// due says whether an entity should be sent again now.
func (s *Scheduler) due(e store.EntityState) bool {
	if e.Status == store.StatusWarning && (e.Warning == nil || !e.Warning.Retryable) {
		return false // waits for an admin's fix and resend
	}
	if e.Status == store.StatusNotTried {
		return s.now().Sub(e.UpdatedAt) >= stuckAfter
	}
	return s.now().Sub(e.UpdatedAt) >= Backoff(e.Attempts)
}

// Backoff is the pause before the n-th retry: 5 minutes doubling, capped
// at 6 hours.
func Backoff(attempts int) time.Duration {
	d := 5 * time.Minute
	for i := 1; i < attempts && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}
