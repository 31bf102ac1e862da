package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/store/memstore"
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

// recordingStore is the in-memory store, held to the DynamoDB store's
// contract (package storetest), recording what the handler wrote and
// failing on demand.
type recordingStore struct {
	*memstore.Store
	puts     []store.Snapshot
	recorded []recorded

	seenErr, putErr, recordErr error
}

func newRecordingStore(now func() time.Time) *recordingStore {
	return &recordingStore{Store: memstore.New(now)}
}

func (f *recordingStore) EventSeen(ctx context.Context, tenant, eventID string) (bool, error) {
	if f.seenErr != nil {
		return false, f.seenErr
	}
	return f.Store.EventSeen(ctx, tenant, eventID)
}

func (f *recordingStore) PutSnapshot(ctx context.Context, s store.Snapshot) error {
	if f.putErr != nil {
		return f.putErr
	}
	if err := f.Store.PutSnapshot(ctx, s); err != nil {
		return err
	}
	f.puts = append(f.puts, s)
	return nil
}

func (f *recordingStore) RecordEvent(ctx context.Context, tenant, eventID string, expires time.Time) error {
	if f.recordErr != nil {
		return f.recordErr
	}
	f.recorded = append(f.recorded, recorded{tenant, eventID, expires})
	return f.Store.RecordEvent(ctx, tenant, eventID, expires)
}

// seen reports whether the store holds tenant's event id as accepted.
func (f *recordingStore) seen(t *testing.T, tenant, eventID string) bool {
	t.Helper()
	ok, err := f.Store.EventSeen(context.Background(), tenant, eventID)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

type fakeQueue struct {
	msgs []queue.Message
	err  error
}

// PublishChoosing queues m in choose's lane, as the publisher does for a
// group that holds no lane.
func (f *fakeQueue) PublishChoosing(ctx context.Context, m queue.Message, choose func(context.Context) queue.Lane) (queue.Lane, error) {
	if f.err != nil {
		return queue.LaneLive, f.err
	}
	m.Lane = choose(ctx)
	f.msgs = append(f.msgs, m)
	return m.Lane, nil
}
