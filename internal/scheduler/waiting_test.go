package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

type waitingStore struct {
	fakeStore
	waiting []store.EntityState
	links   map[string]store.Link
}

func (w *waitingStore) WalkStatus(_ context.Context, _ string, st store.Status, fn func(store.EntityState) error) error {
	if st != store.StatusWaiting {
		return nil
	}
	for _, e := range w.waiting {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (w *waitingStore) Link(_ context.Context, _ string, kind billing.Kind, id string) (store.Link, error) {
	l, ok := w.links[string(kind)+"/"+id]
	if !ok {
		return store.Link{}, store.ErrNotFound
	}
	return l, nil
}

type recordingQueue struct{ sent []queue.Message }

func (r *recordingQueue) Publish(_ context.Context, m queue.Message) error {
	r.sent = append(r.sent, m)
	return nil
}

func TestStrandedWaitersAreWoken(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	old, recent := now.Add(-time.Hour), now.Add(-time.Minute)
	waiter := func(id, on string, at time.Time) store.EntityState {
		return store.EntityState{Snapshot: store.Snapshot{Kind: billing.KindInvoice, ID: id, Version: 2},
			Status: store.StatusWaiting, WaitingOn: on, UpdatedAt: at}
	}
	st := &waitingStore{
		waiting: []store.EntityState{
			waiter("inv_stranded", "customer/cus_linked", old),
			waiter("inv_parent_unlinked", "customer/cus_creating", old),
			waiter("inv_parent_missing", "customer/cus_none", old),
			waiter("inv_just_waiting", "customer/cus_linked", recent),
			waiter("inv_other_realm", "customer/cus_elsewhere", old),
			waiter("inv_parent_just_linked", "customer/cus_fresh", old),
		},
		links: map[string]store.Link{
			"customer/cus_linked":    {State: store.LinkLinked, QBOID: "1", RealmID: "r1", UpdatedAt: old},
			"customer/cus_creating":  {State: store.LinkCreating, RealmID: "r1", UpdatedAt: old},
			"customer/cus_elsewhere": {State: store.LinkLinked, QBOID: "2", RealmID: "r0", UpdatedAt: old},
			"customer/cus_fresh":     {State: store.LinkLinked, QBOID: "3", RealmID: "r1", UpdatedAt: recent},
		},
	}
	st.conn = store.Connection{Tenant: "acme", RealmID: "r1", Status: store.ConnConnected,
		AccessExpiresAt: now.Add(2 * time.Hour)}
	q := &recordingQueue{}
	s := New(st, fakeTokens{&st.fakeStore}, q, nil, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(q.sent) != 1 || q.sent[0].ID != "inv_stranded" || q.sent[0].Version != 2 || res.Requeued != 1 {
		t.Fatalf("requeued %+v (result %+v), want only inv_stranded", q.sent, res)
	}
}
