// Package syncer converges QuickBooks Online to the newest billing snapshot
// of each entity: it waits for parents, maps the snapshot to a QBO payload
// (pure functions, one file per kind), writes it exactly once, and records
// the outcome an admin sees.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/throttle"
)

// Config configures an Engine.
type Config struct {
	Store      Store
	Tokens     Tokens
	Queue      Publisher
	QBOBaseURL string
	// HTTPClient carries QBO calls; nil: a client with a 60 s timeout.
	// Deployed, its transport is a throttle.Transport, which keeps every
	// function's calls within the realm's budget.
	HTTPClient *http.Client
	Log        *slog.Logger
	Now        func() time.Time
	// QBOOptions are passed to every QBO client (observers in benchmarks).
	QBOOptions []qbo.Option
	// ThrottleBackoff is the realm's rest after a 429; 0 means 60 s.
	ThrottleBackoff time.Duration
}

// Engine syncs one entity per call. It is safe for concurrent use.
type Engine struct {
	cfg Config
}

// New returns an Engine.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ThrottleBackoff == 0 {
		cfg.ThrottleBackoff = throttle.DefaultBackoff
	}
	return &Engine{cfg: cfg}
}

// Handle syncs the entity m names. It returns an error only when the
// message should be retried (throttling, QBO or AWS unavailable); outcomes
// an admin must see are recorded as the entity's status.
func (e *Engine) Handle(ctx context.Context, m queue.Message) error {
	log := e.cfg.Log.With("tenant", m.Tenant, "kind", m.Kind, "id", m.ID, "event_id", m.EventID)
	st, err := e.cfg.Store.Entity(ctx, m.Tenant, m.Kind, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		log.WarnContext(ctx, "message for an unknown entity ignored")
		return nil
	}
	if err != nil {
		return err
	}
	r, err := e.newRun(ctx, st)
	if err != nil {
		return e.notConnected(ctx, st, err)
	}
	out, err := r.sync(ctx)
	if err != nil {
		return e.failed(ctx, log, st, r.conn.RealmID, err)
	}
	return e.record(ctx, log, st, out)
}

// notConnected parks the entity until a connection exists; connecting
// requeues every parked entity.
func (e *Engine) notConnected(ctx context.Context, st store.EntityState, err error) error {
	var msg string
	switch {
	case errors.Is(err, qboauth.ErrNotConnected):
		msg = "QuickBooks is not connected. Connect a QuickBooks company; queued entities sync then."
	case errors.Is(err, qboauth.ErrReconnect):
		msg = "QuickBooks needs to be reconnected (Intuit refused the saved authorization). Reconnect; queued entities sync then."
	default:
		return err
	}
	return e.setStatus(ctx, st, store.StatusUpdate{Status: store.StatusNotTried,
		Warning: &store.Warning{Message: msg, Retryable: true}})
}

// failed turns a sync error into a retry (returned) or a warning (recorded).
func (e *Engine) failed(ctx context.Context, log *slog.Logger, st store.EntityState, realm string, err error) error {
	var qe *qbo.Error
	if errors.As(err, &qe) && qe.Throttled() && qe.Status != http.StatusTooManyRequests {
		// Throttling is a scheduling input: the realm backs off and the
		// entity stays queued, never a warning. The HTTP client's
		// throttle.Transport already rested the realm after a 429; this
		// catches a throttle fault QBO reports otherwise.
		if terr := e.cfg.Store.ThrottleRealm(ctx, realm, e.cfg.Now().Add(e.cfg.ThrottleBackoff)); terr != nil {
			return terr
		}
	}
	if errors.As(err, &qe) && (qe.Stale() || overApplied(qe)) {
		// Another change is in flight on the same document (a SyncToken
		// race, or billing freeing a balance through another entity that
		// has not synced yet): retry soon; the warning shows meanwhile.
		w := &store.Warning{Code: qe.Code, Message: qe.Message, Detail: qe.Detail, Element: qe.Element,
			IntuitTID: qe.IntuitTID, Retryable: true}
		if serr := e.setStatus(ctx, st, store.StatusUpdate{Status: store.StatusNotTried, Warning: w}); serr != nil {
			return serr
		}
		return fmt.Errorf("sync %s/%s: %w", st.Kind, st.ID, err)
	}
	if errors.As(err, &qe) && !qe.Temporary() && !qe.AuthFailed() {
		log.WarnContext(ctx, "qbo refused entity", "code", qe.Code, "intuit_tid", qe.IntuitTID, "err", err)
		return e.setStatus(ctx, st, store.StatusUpdate{Status: store.StatusWarning, Warning: &store.Warning{
			Code: qe.Code, Message: qe.Message, Detail: qe.Detail, Element: qe.Element, IntuitTID: qe.IntuitTID}})
	}
	var pe *PermanentError
	if errors.As(err, &pe) {
		log.WarnContext(ctx, "entity cannot sync", "err", err)
		return e.setStatus(ctx, st, store.StatusUpdate{Status: store.StatusWarning, Warning: &store.Warning{Message: pe.Reason}})
	}
	log.WarnContext(ctx, "sync will be retried", "err", err)
	return fmt.Errorf("sync %s/%s: %w", st.Kind, st.ID, err)
}

// record stores a finished outcome and wakes what waited for the entity.
func (e *Engine) record(ctx context.Context, log *slog.Logger, st store.EntityState, out outcome) error {
	if err := e.setStatus(ctx, st, out.update); err != nil {
		return err
	}
	switch out.update.Status {
	case store.StatusWaiting:
		log.InfoContext(ctx, "entity waits", "waiting_on", out.update.WaitingOn)
		return nil
	case store.StatusSynced:
		log.InfoContext(ctx, "entity synced", "qbo_id", out.qboID)
		if err := e.cfg.Store.MarkSynced(ctx, st.Tenant, e.cfg.Now()); err != nil {
			return err
		}
		return e.wake(ctx, st)
	}
	log.InfoContext(ctx, "entity not sent", "status", out.update.Status)
	return nil
}

func (e *Engine) setStatus(ctx context.Context, st store.EntityState, u store.StatusUpdate) error {
	u.Version = st.Version
	err := e.cfg.Store.SetStatus(ctx, st.Tenant, st.Kind, st.ID, u)
	if errors.Is(err, store.ErrStale) {
		return nil // a newer version is queued and will set its own status
	}
	return err
}

// wake requeues every entity that waited for st to link.
func (e *Engine) wake(ctx context.Context, st store.EntityState) error {
	parent := billing.Ref{Kind: st.Kind, ID: st.ID}
	deps, err := e.cfg.Store.Dependents(ctx, st.Tenant, parent)
	if err != nil {
		return err
	}
	for _, d := range deps {
		// Every wake-up is a deliberate re-send: a nonce from the clock
		// keeps SQS's five-minute deduplication from swallowing a second
		// wake by the same parent (after a reconnect, say).
		m := queue.Message{Tenant: st.Tenant, Kind: d.Kind, ID: d.ID, CustomerID: d.CustomerID,
			Reason: "wake", Nonce: fmt.Sprintf("wake:%s:%s:%d", st.Kind, st.ID, e.cfg.Now().UnixNano())}
		if err := e.cfg.Queue.Publish(ctx, m); err != nil {
			return fmt.Errorf("wake %s/%s: %w", d.Kind, d.ID, err)
		}
		if err := e.cfg.Store.RemoveDependent(ctx, st.Tenant, parent, d); err != nil {
			return err
		}
	}
	return nil
}

// client returns a QBO client that sends conn's access token.
func (e *Engine) client(conn store.Connection) *qbo.Client {
	return qbo.New(qbo.WithToken(e.cfg.HTTPClient, conn.AccessToken), e.cfg.QBOBaseURL, e.cfg.QBOOptions...)
}

// overApplied reports QBO's refusal to apply more than a document's open
// balance, or to lower a document's total below what is applied to it.
// Billing is consistent, so either QuickBooks' automation applied money
// billing did not, or another change that frees the balance (a payment's
// or credit's update, on another queue) has not synced yet.
func overApplied(qe *qbo.Error) bool {
	return qe.Code == "6000" && (strings.Contains(qe.Detail, "more than its open balance") ||
		strings.Contains(qe.Detail, "cannot be less than the amount already applied"))
}
