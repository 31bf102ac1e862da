// Package reconcile compares a tenant's billing with its QuickBooks
// company: per customer the open receivables and unapplied money, per
// kind the count and total, and per synced document the fields changed in
// QuickBooks afterwards (drift). It reads QuickBooks in full once, then
// only what changed (CDC) since the last run's watermark.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/throttle"
)

// Store is what reconciliation reads and writes.
type Store interface {
	TenantIDs(ctx context.Context) ([]string, error)
	Counts(ctx context.Context, tenant string) (store.Counts, error)
	Entities(ctx context.Context, tenant string, kind billing.Kind) ([]store.EntityState, error)
	EntitiesByStatus(ctx context.Context, tenant string, st store.Status, kind billing.Kind) ([]store.EntityState, error)
	Links(ctx context.Context, tenant string) ([]store.Link, error)
	QBOObjects(ctx context.Context, tenant string) ([]store.QBOObject, error)
	PutQBOObject(ctx context.Context, tenant string, o store.QBOObject) error
	ForgetQBOObjects(ctx context.Context, tenant string) error
	Reconciliation(ctx context.Context, tenant string) (store.Reconciliation, error)
	SaveReconciliation(ctx context.Context, tenant string, r store.Reconciliation) error
	MarkDrifted(ctx context.Context, tenant string, kind billing.Kind, id string, w store.Warning) error
	ClearDrift(ctx context.Context, tenant string, kind billing.Kind, id string) error
}

// Tokens hands out a tenant's connection with a fresh access token.
type Tokens interface {
	Token(ctx context.Context, tenant string, force bool) (store.Connection, error)
}

// Reconciler runs reconciliations. Its HTTP client must be the accounting
// client every function uses, so its reads count against the company's
// shared request budget.
type Reconciler struct {
	Store      Store
	Tokens     Tokens
	QBOBaseURL string
	HTTPClient *http.Client
	// Paid is told the balance of the synced invoices each run reads; nil
	// sends no quickbooks.invoice.paid.
	Paid InvoiceObserver
	Now  func() time.Time
	Log  *slog.Logger
}

// ErrBusy: the tenant's sync has work queued; reconciliation yields to it
// and runs on the next pass.
var ErrBusy = errors.New("sync in progress")

// ErrNotConnected: the tenant has no working QuickBooks connection.
var ErrNotConnected = errors.New("not connected to QuickBooks")

// cdcWindow is how far back CDC may look; Intuit allows 30 days.
const cdcWindow = 29 * 24 * time.Hour

// skew widens each CDC window: a change QuickBooks stamped a little before
// the previous run's clock read (whole seconds, another clock) is still
// asked for.
const skew = 5 * time.Second

// Run reconciles one tenant now and stores the result.
func (r *Reconciler) Run(ctx context.Context, tenant string) (store.Reconciliation, error) {
	if busy, err := r.syncBusy(ctx, tenant); err != nil || busy {
		return store.Reconciliation{}, errors.Join(err, map[bool]error{true: ErrBusy}[busy])
	}
	conn, err := r.Tokens.Token(ctx, tenant, false)
	if err != nil {
		return store.Reconciliation{}, fmt.Errorf("%w: %w", ErrNotConnected, err)
	}
	if conn.Status != store.ConnConnected || conn.RealmID == "" {
		return store.Reconciliation{}, ErrNotConnected
	}
	prev, err := r.Store.Reconciliation(ctx, tenant)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Reconciliation{}, err
	}
	start := r.now()
	calls, full, changed, err := r.refresh(ctx, tenant, conn, prev, start)
	if err != nil {
		return store.Reconciliation{}, err
	}
	b, err := r.books(ctx, tenant)
	if err != nil {
		return store.Reconciliation{}, err
	}
	rec := store.Reconciliation{AsOf: start.UTC(), Customers: b.customers(), Totals: b.totals(),
		Drift: keepDetected(b.drift(), prev.Drift, start.UTC()), Watermark: start.Add(-skew).UTC(),
		Realm: conn.RealmID, Requests: calls, Extra: store.ReconciliationIO{FullRead: full, Changed: changed}}
	if err := r.mark(ctx, tenant, rec.Drift); err != nil {
		return store.Reconciliation{}, err
	}
	// Before the watermark moves: a run that failed here reads the same
	// changes again next time.
	if err := r.observePaid(ctx, tenant, conn.RealmID, b, start.UTC()); err != nil {
		return store.Reconciliation{}, err
	}
	if err := r.Store.SaveReconciliation(ctx, tenant, rec); err != nil {
		return store.Reconciliation{}, err
	}
	r.log().InfoContext(ctx, "reconciled", "tenant", tenant, "qbo_requests", calls, "full_read", full,
		"changed", changed, "drift", len(rec.Drift))
	return rec, nil
}

// RunAll reconciles every connected tenant; one tenant's failure does not
// stop the others (it is logged and returned), and tenants that are not
// connected, busy syncing or out of request budget are left for the next
// pass.
func (r *Reconciler) RunAll(ctx context.Context) error {
	ids, err := r.Store.TenantIDs(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	var errs []error
	for _, id := range ids {
		_, err := r.Run(ctx, id)
		switch {
		case errors.Is(err, ErrBusy), errors.Is(err, ErrNotConnected), qbo.IsThrottled(err), errors.As(err, new(*throttle.Error)):
			r.log().InfoContext(ctx, "reconciliation left for the next pass", "tenant", id, "reason", err.Error())
		case err != nil:
			r.log().ErrorContext(ctx, "reconciliation failed", "tenant", id, "err", err)
			errs = append(errs, fmt.Errorf("reconcile %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// syncBusy reports entities queued and not yet tried: their syncs come
// first in the company's request budget, and their links would still move.
func (r *Reconciler) syncBusy(ctx context.Context, tenant string) (bool, error) {
	counts, err := r.Store.Counts(ctx, tenant)
	if err != nil {
		return false, err
	}
	for _, byStatus := range counts {
		if byStatus[store.StatusNotTried] > 0 {
			return true, nil
		}
	}
	return false, nil
}

func (r *Reconciler) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}
