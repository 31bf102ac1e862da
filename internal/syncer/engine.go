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
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
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
	// QBO, when set, answers QuickBooks calls instead of an HTTP client
	// (given the access token of the connection in use).
	QBO func(accessToken string) QBO
	// ThrottleBackoff is the realm's rest after a 429; 0 means 60 s.
	ThrottleBackoff time.Duration
	// Bunches, when set, seats syncs the company's request schedule
	// turned away in bunches that come back together (bunch.go); nil:
	// each is deferred alone.
	Bunches Bunches
	// BunchRound starts the round a bunch's syncs join, so that their
	// creates go out together (qbobatch.Batcher.Bunch).
	BunchRound func() Joiner
}

// Engine syncs one entity per call. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	credit creditHints
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

// Handle syncs the entity m names. Work that must wait (the company's
// request budget, QuickBooks unavailable, a concurrent change) is deferred
// and resumed automatically; outcomes an admin must see are recorded as
// the entity's status. It returns an error only when our own
// infrastructure failed and the queue should deliver m again.
func (e *Engine) Handle(ctx context.Context, m change.Message) error {
	return e.attempt(e.admitByNextTurn(ctx), m, 0)
}

// attempt runs one sync attempt of m's entity and records its outcome or
// acts on its failure; depth counts the runs it is nested in (syncNow).
func (e *Engine) attempt(ctx context.Context, m change.Message, depth int) error {
	log := e.log(m)
	ctx = e.prefetchMessage(ctx, m)
	st, err := e.cfg.Store.Entity(ctx, m.Tenant, m.Kind, m.ID)
	if errors.Is(err, record.ErrNotFound) {
		log.WarnContext(ctx, "message for an unknown entity ignored")
		return nil
	}
	if err != nil {
		return err
	}
	if syncedAlready(m, st) {
		log.InfoContext(ctx, "entity synced in its bunch")
		return nil
	}
	ctx = e.prefetchParents(ctx, m, st)
	r, err := e.newRun(ctx, st)
	if err != nil {
		return e.failed(ctx, st, m, "", err)
	}
	r.depth = depth
	out, err := r.sync(ctx)
	if err != nil {
		return e.failed(ctx, st, m, r.conn.RealmID, err)
	}
	return e.record(ctx, log, st, out)
}

func (e *Engine) log(m change.Message) *slog.Logger {
	return e.cfg.Log.With("tenant", m.Tenant, "kind", m.Kind, "id", m.ID, "event_id", m.EventID)
}

// record stores a finished outcome and wakes what waited for the entity.
func (e *Engine) record(ctx context.Context, log *slog.Logger, st record.EntityState, out outcome) error {
	if err := e.setStatus(ctx, st, out.update); err != nil {
		return err
	}
	switch out.update.Status {
	case record.StatusWaiting:
		log.InfoContext(ctx, "entity waits", "waiting_on", out.update.WaitingOn)
		return nil
	case record.StatusSynced:
		log.InfoContext(ctx, "entity synced", "qbo_id", out.qboID)
		if err := e.cfg.Store.MarkSynced(ctx, st.Tenant, e.cfg.Now()); err != nil {
			return err
		}
		return e.wake(ctx, st, out.link)
	}
	log.InfoContext(ctx, "entity not sent", "status", out.update.Status)
	return nil
}

func (e *Engine) setStatus(ctx context.Context, st record.EntityState, u record.StatusUpdate) error {
	u.Version = st.Version
	err := e.cfg.Store.SetStatus(ctx, st.Tenant, st.Kind, st.ID, u)
	if errors.Is(err, record.ErrStale) {
		return nil // a newer version is queued and will set its own status
	}
	return err
}

// wake requeues every entity that waited for st to link. seen is st's
// link as its sync last read or wrote it, zero when unknown. Linked, with
// no dependent counted since the last wake-up, it spares the list: a
// dependent counts itself on the link before it reads the link, so one
// counted after seen reads it linked and does not wait. Linked with
// dependents counted, the wake-up marks that count woken once done.
func (e *Engine) wake(ctx context.Context, st record.EntityState, seen record.Link) error {
	if seen.Linked() && !seen.Awaited() {
		return nil
	}
	parent := billing.Ref{Kind: st.Kind, ID: st.ID}
	deps, err := e.cfg.Store.Dependents(ctx, st.Tenant, parent)
	if err != nil {
		return err
	}
	for _, d := range deps {
		// Every wake-up is a deliberate re-send: a nonce from the clock
		// keeps SQS's five-minute deduplication from swallowing a second
		// wake by the same parent (after a reconnect, say).
		m := change.Message{Tenant: st.Tenant, Kind: d.Kind, ID: d.ID, CustomerID: d.CustomerID,
			Reason: "wake", Nonce: fmt.Sprintf("wake:%s:%s:%d", st.Kind, st.ID, e.cfg.Now().UnixNano())}
		if err := e.cfg.Queue.Publish(ctx, m); err != nil {
			return fmt.Errorf("wake %s/%s: %w", d.Kind, d.ID, err)
		}
		if err := e.cfg.Store.RemoveDependent(ctx, st.Tenant, parent, d); err != nil {
			return err
		}
	}
	if seen.Linked() {
		return e.cfg.Store.MarkWoken(ctx, st.Tenant, parent, seen.Waiters)
	}
	return nil
}

// client returns a QBO client that sends conn's access token.
func (e *Engine) client(conn record.Connection) QBO {
	if e.cfg.QBO != nil {
		return e.cfg.QBO(conn.AccessToken)
	}
	return qbo.New(qbo.WithToken(e.cfg.HTTPClient, conn.AccessToken), e.cfg.QBOBaseURL, e.cfg.QBOOptions...)
}
