package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/metrics"
	"github.com/qbosync/qbosync/internal/store"
)

// observedStore reports each sync outcome as a metric. It sits between the
// engine and the store, where every outcome is recorded, so the engine
// needs no knowledge of metrics.
type observedStore struct {
	*store.Store
	m   *metrics.Writer
	now func() time.Time

	mu sync.Mutex
	// received remembers when the webhook stored each snapshot the engine
	// read, for the latency of the sync that follows.
	received map[snapshotKey]time.Time
}

type snapshotKey struct {
	tenant  string
	kind    billing.Kind
	id      string
	version int64
}

// maxRemembered bounds received: one batch reads at most a few hundred
// snapshots (its entities and their parents).
const maxRemembered = 1000

func (s *observedStore) Entity(ctx context.Context, tenant string, kind billing.Kind, id string) (store.EntityState, error) {
	st, err := s.Store.Entity(ctx, tenant, kind, id)
	if err == nil && !st.ReceivedAt.IsZero() {
		s.mu.Lock()
		if len(s.received) >= maxRemembered {
			clear(s.received)
		}
		s.received[snapshotKey{tenant, kind, id, st.Version}] = st.ReceivedAt
		s.mu.Unlock()
	}
	return st, err
}

func (s *observedStore) SetStatus(ctx context.Context, tenant string, kind billing.Kind, id string, u store.StatusUpdate) error {
	if err := s.Store.SetStatus(ctx, tenant, kind, id, u); err != nil {
		return err
	}
	key := snapshotKey{tenant, kind, id, u.Version}
	s.mu.Lock()
	received, known := s.received[key]
	delete(s.received, key)
	s.mu.Unlock()
	var values []metrics.Value
	switch u.Status {
	case store.StatusSynced:
		values = append(values, metrics.Value{Name: metrics.EntitiesSynced, Unit: metrics.Count, Value: 1})
		if known {
			ms := float64(s.now().Sub(received)) / float64(time.Millisecond)
			values = append(values, metrics.Value{Name: metrics.SyncLatency, Unit: metrics.Milliseconds, Value: ms})
		}
	case store.StatusWarning:
		values = append(values, metrics.Value{Name: metrics.Warnings, Unit: metrics.Count, Value: 1})
	case store.StatusWaiting, store.StatusNotConnected:
		values = append(values, metrics.Value{Name: metrics.Deferred, Unit: metrics.Count, Value: 1})
	}
	// A lost metric line must not fail a sync QuickBooks already has.
	_ = s.m.Emit(map[string]string{"Kind": string(kind)},
		map[string]string{"tenant": tenant, "id": id, "status": string(u.Status)}, values...)
	return nil
}

// countedTransport emits one QBORequests datum per Accounting API call
// that reaches the network.
type countedTransport struct {
	base     http.RoundTripper
	m        *metrics.Writer
	function string
}

func (t countedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	_ = t.m.Emit(map[string]string{"FunctionName": t.function}, nil,
		metrics.Value{Name: metrics.QBORequests, Unit: metrics.Count, Value: 1})
	return resp, err
}
