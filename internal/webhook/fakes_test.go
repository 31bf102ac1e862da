package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

var errDown = errors.New("dynamodb: connection reset")

type fakeSecrets struct {
	byTenant map[string][][]byte
	err      error
}

func (f *fakeSecrets) WebhookSecrets(_ context.Context, tenant string) ([][]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	s, ok := f.byTenant[tenant]
	if !ok {
		return nil, store.ErrNotFound
	}
	return s, nil
}

type recorded struct {
	tenant, eventID string
	expires         time.Time
}

// fakeStore keeps snapshots by tenant/kind/id with the real store's
// version rule and records every call.
type fakeStore struct {
	snaps    map[string]store.Snapshot
	events   map[string]bool
	puts     []store.Snapshot
	recorded []recorded

	seenErr, putErr, recordErr error
}

func newFakeStore() *fakeStore {
	return &fakeStore{snaps: map[string]store.Snapshot{}, events: map[string]bool{}}
}

func (f *fakeStore) EventSeen(_ context.Context, tenant, eventID string) (bool, error) {
	if f.seenErr != nil {
		return false, f.seenErr
	}
	return f.events[tenant+"/"+eventID], nil
}

func (f *fakeStore) PutSnapshot(_ context.Context, s store.Snapshot) error {
	if f.putErr != nil {
		return f.putErr
	}
	key := s.Tenant + "/" + string(s.Kind) + "/" + s.ID
	if old, ok := f.snaps[key]; ok && old.Version > s.Version {
		return store.ErrStale
	}
	f.snaps[key] = s
	f.puts = append(f.puts, s)
	return nil
}

func (f *fakeStore) RecordEvent(_ context.Context, tenant, eventID string, expires time.Time) error {
	if f.recordErr != nil {
		return f.recordErr
	}
	f.events[tenant+"/"+eventID] = true
	f.recorded = append(f.recorded, recorded{tenant, eventID, expires})
	return nil
}

type fakeQueue struct {
	msgs []queue.Message
	err  error
}

func (f *fakeQueue) Publish(_ context.Context, m queue.Message) error {
	if f.err != nil {
		return f.err
	}
	f.msgs = append(f.msgs, m)
	return nil
}
