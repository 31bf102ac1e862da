// Package reconcile compares a tenant's billing with its QuickBooks
// company: per customer the open receivables and unapplied money, per
// kind the count and total, and per synced document the fields changed in
// QuickBooks afterwards (drift). It reads QuickBooks in full once, then
// only what changed (CDC) since the last run's watermark.
package reconcile

import (
	"context"
	"encoding/json"
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
	Now        func() time.Time
	Log        *slog.Logger
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

// refresh brings the stored QuickBooks objects up to date: in full on the
// first run, for another company, or past CDC's window; else by CDC.
func (r *Reconciler) refresh(ctx context.Context, tenant string, conn store.Connection, prev store.Reconciliation,
	start time.Time) (calls int, full bool, changed int, err error) {
	counted := 0
	hc := *r.HTTPClient
	api := qbo.New(qbo.WithToken(&hc, conn.AccessToken), r.QBOBaseURL,
		qbo.WithObserver(func(string, int, time.Duration) { counted++ }))
	full = prev.Watermark.IsZero() || prev.Realm != conn.RealmID || start.Sub(prev.Watermark) > cdcWindow
	var read map[string][]txn
	if full {
		if err := r.Store.ForgetQBOObjects(ctx, tenant); err != nil {
			return 0, full, 0, err
		}
		read, err = readAll(ctx, api, conn.RealmID)
	} else {
		read, _, err = readChanges(ctx, api, conn.RealmID, prev.Watermark)
	}
	if err != nil {
		return counted, full, 0, err
	}
	changed, err = r.store(ctx, tenant, read)
	return counted, full, changed, err
}

// store writes what was read over the stored objects.
func (r *Reconciler) store(ctx context.Context, tenant string, read map[string][]txn) (int, error) {
	have, err := r.Store.QBOObjects(ctx, tenant)
	if err != nil {
		return 0, err
	}
	prev := map[string]store.QBOObject{}
	for _, o := range have {
		prev[objKey(o.Entity, o.QBOID)] = o
	}
	home, err := r.homeCurrency(ctx, tenant)
	if err != nil {
		return 0, err
	}
	n := 0
	for entity, rows := range read {
		for _, row := range rows {
			o, err := object(entity, row, prev[objKey(entity, row.ID)], home)
			if err != nil {
				return n, err
			}
			o.UpdatedAt = r.now().UTC()
			if err := r.Store.PutQBOObject(ctx, tenant, o); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// homeCurrency is the currency most of billing's customers use: what
// QuickBooks amounts without a CurrencyRef are in (a company without
// multicurrency has one currency, its customers').
func (r *Reconciler) homeCurrency(ctx context.Context, tenant string) (string, error) {
	cs, err := r.Store.Entities(ctx, tenant, billing.KindCustomer)
	if err != nil {
		return "", err
	}
	n := map[string]int{}
	home := "USD"
	for _, c := range cs {
		var v struct {
			Currency string `json:"currency"`
		}
		if json.Unmarshal(c.Data, &v) == nil && v.Currency != "" {
			n[v.Currency]++
			if n[v.Currency] > n[home] {
				home = v.Currency
			}
		}
	}
	return home, nil
}

// books loads billing's entities, the links and the stored objects.
func (r *Reconciler) books(ctx context.Context, tenant string) (books, error) {
	var states []store.EntityState
	for _, k := range billing.Kinds {
		es, err := r.Store.Entities(ctx, tenant, k)
		if err != nil {
			return books{}, err
		}
		states = append(states, es...)
	}
	l, err := buildLedger(states)
	if err != nil {
		return books{}, err
	}
	b := books{ledger: l, links: map[billing.Ref]store.Link{}, objects: map[string]store.QBOObject{}}
	links, err := r.Store.Links(ctx, tenant)
	if err != nil {
		return books{}, err
	}
	for _, lk := range links {
		b.links[billing.Ref{Kind: lk.Kind, ID: lk.ID}] = lk
	}
	objs, err := r.Store.QBOObjects(ctx, tenant)
	if err != nil {
		return books{}, err
	}
	for _, o := range objs {
		b.objects[objKey(o.Entity, o.QBOID)] = o
	}
	return b, nil
}

// mark sets drifted on every synced entity with drift and puts back to
// synced those whose drift is gone. Dismissed entities stay dismissed:
// an admin accepted QuickBooks' version.
func (r *Reconciler) mark(ctx context.Context, tenant string, drift []store.Drift) error {
	by := map[billing.Ref][]store.Drift{}
	for _, d := range drift {
		if d.Field == fieldBalance {
			continue
		}
		ref := billing.Ref{Kind: d.Kind, ID: d.ID}
		by[ref] = append(by[ref], d)
	}
	for ref, ds := range by {
		err := r.Store.MarkDrifted(ctx, tenant, ref.Kind, ref.ID, warning(ds))
		if err != nil && !errors.Is(err, store.ErrWrongStatus) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	drifted, err := r.Store.EntitiesByStatus(ctx, tenant, store.StatusDrifted, "")
	if err != nil {
		return err
	}
	for _, e := range drifted {
		if _, ok := by[billing.Ref{Kind: e.Kind, ID: e.ID}]; ok {
			continue
		}
		if err := r.Store.ClearDrift(ctx, tenant, e.Kind, e.ID); err != nil && !errors.Is(err, store.ErrWrongStatus) {
			return err
		}
	}
	return nil
}

// keepDetected keeps the first detection time of drift seen before.
func keepDetected(now, before []store.Drift, at time.Time) []store.Drift {
	seen := map[string]time.Time{}
	for _, d := range before {
		seen[string(d.Kind)+"/"+d.ID+"/"+d.Field] = d.DetectedAt
	}
	for i := range now {
		now[i].DetectedAt = at
		if t, ok := seen[string(now[i].Kind)+"/"+now[i].ID+"/"+now[i].Field]; ok {
			now[i].DetectedAt = t
		}
	}
	if now == nil {
		return []store.Drift{}
	}
	return now
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
