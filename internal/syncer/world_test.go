package syncer_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/store/memstore"
	"github.com/qbosync/qbosync/internal/syncer"
)

const (
	tenant = "acme"
	realm  = "9130"
)

var (
	errLinkWrite = errors.New("dynamodb: connection reset while saving the link")
	clock        = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

// world is one tenant connected to one QuickBooks company in memory,
// synced by a real Engine.
type world struct {
	t      *testing.T
	store  *crashingStore
	books  *qbofake.Company
	queue  *queue
	engine *syncer.Engine
}

// settings are complete, so no sync looks for the company's defaults.
var settings = record.Settings{RevenueAccountID: "41", DepositAccountID: "35", RefundAccountID: "36",
	DiscountAccountID: "86", BadDebtAccountID: "87", ARAccountID: "84", DefaultItemID: "19", BadDebtItemID: "20",
	PaymentMethods: map[string]string{"card": "3"}, TaxMode: record.TaxUSOverride, CustomerMode: "auto"}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, store: &crashingStore{Store: memstore.New(func() time.Time { return clock })},
		books: qbofake.New(), queue: &queue{}}
	if err := w.store.CreateTenant(context.Background(), record.Tenant{ID: tenant, Name: "Acme", Settings: settings}); err != nil {
		t.Fatal(err)
	}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return w.books }))
	return w
}

// config is the engine's configuration over the world's store and queue,
// with qbo as its QuickBooks.
func (w *world) config(qbo func(string) syncer.QBO) syncer.Config {
	return syncer.Config{Store: w.store, Tokens: tokens{}, Queue: w.queue, QBO: qbo,
		Now: func() time.Time { return clock }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
}

// receive stores a snapshot as the webhook does.
func (w *world) receive(kind billing.Kind, id, customer string, version int64, data string) {
	w.t.Helper()
	err := w.store.PutSnapshot(context.Background(), record.Snapshot{Tenant: tenant, Kind: kind, ID: id,
		Version: version, CustomerID: customer, Action: "updated", EventID: "evt_" + id,
		OccurredAt: clock, ReceivedAt: clock, Data: []byte(data)})
	if err != nil {
		w.t.Fatal(err)
	}
}

// sync delivers the entity's message once, as its queue does, and
// returns what Handle returned (an error: the queue delivers it again).
func (w *world) sync(kind billing.Kind, id string) error {
	st, err := w.store.Entity(context.Background(), tenant, kind, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.engine.Handle(context.Background(), change.Message{Tenant: tenant, Kind: kind, ID: id,
		CustomerID: st.CustomerID, Version: st.Version, Reason: "webhook"})
}

// linked records that billing entity kind/id already mirrors v, added to
// the company as someone else's object would be.
func (w *world) linked(kind billing.Kind, id string, v qbo.Entity) string {
	w.t.Helper()
	qid, err := w.books.Add(v)
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = w.store.PutLink(context.Background(), record.Link{Tenant: tenant, Kind: kind, ID: id, RealmID: realm,
		State: record.LinkLinked, QBOID: qid, SyncToken: "0", SentHash: "set up by the test"})
	if err != nil {
		w.t.Fatal(err)
	}
	return qid
}

func (w *world) entity(kind billing.Kind, id string) record.EntityState {
	w.t.Helper()
	st, err := w.store.Entity(context.Background(), tenant, kind, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

func (w *world) link(kind billing.Kind, id string) record.Link {
	w.t.Helper()
	l, err := w.store.Link(context.Background(), tenant, kind, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

// crashingStore is the in-memory store whose next write of a finished
// link fails, as DynamoDB failing just after QuickBooks created the
// object.
type crashingStore struct {
	*memstore.Store
	mu        sync.Mutex
	failLinks int
	// beforeLinked, when set, runs once just before the next write of a
	// finished link reaches the store: another worker's step in between.
	beforeLinked func(record.Link)
	// listed counts the Dependents calls.
	listed int
}

func (s *crashingStore) PutLink(ctx context.Context, l record.Link) (record.Link, error) {
	s.mu.Lock()
	fail := l.State == record.LinkLinked && s.failLinks > 0
	if fail {
		s.failLinks--
	}
	var before func(record.Link)
	if l.State == record.LinkLinked {
		before, s.beforeLinked = s.beforeLinked, nil
	}
	s.mu.Unlock()
	if fail {
		return record.Link{}, errLinkWrite
	}
	if before != nil {
		before(l)
	}
	return s.Store.PutLink(ctx, l)
}

func (s *crashingStore) Dependents(ctx context.Context, tenant string, parent billing.Ref) ([]record.Dependent, error) {
	s.mu.Lock()
	s.listed++
	s.mu.Unlock()
	return s.Store.Dependents(ctx, tenant, parent)
}

type tokens struct{}

func (tokens) Token(_ context.Context, tenant string, _ bool) (record.Connection, error) {
	return record.Connection{Tenant: tenant, RealmID: realm, AccessToken: "access", Status: record.ConnConnected}, nil
}

// queue records what the engine queued and deferred.
type queue struct {
	mu        sync.Mutex
	published []change.Message
	deferred  []change.Message
	// deferErr, when set, is what Defer fails with (SQS unreachable).
	deferErr error
}

func (q *queue) Publish(_ context.Context, m change.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.published = append(q.published, m)
	return nil
}

func (q *queue) Defer(_ context.Context, m change.Message, _ time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deferErr != nil {
		return q.deferErr
	}
	q.deferred = append(q.deferred, m)
	return nil
}
