package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/store/memstore"
)

type recordingQueue struct{ sent []queue.Message }

func (r *recordingQueue) Publish(_ context.Context, m queue.Message) error {
	r.sent = append(r.sent, m)
	return nil
}

func TestStrandedWaitersAreWoken(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	old, recent := now.Add(-time.Hour), now.Add(-time.Minute)
	clock := old // the store's clock, moved as the history is written
	st := &countingStore{Store: memstore.New(func() time.Time { return clock })}
	if err := st.CreateTenant(ctx, store.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveConnection(ctx, store.Connection{Tenant: "acme", RealmID: "r1", Status: store.ConnConnected,
		AccessExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	waiter := func(id, on string, at time.Time) {
		clock = at
		err := st.PutSnapshot(ctx, store.Snapshot{Tenant: "acme", Kind: billing.KindInvoice, ID: id, Version: 2,
			CustomerID: "cus_1", Data: []byte(`{}`), ReceivedAt: at})
		if err == nil {
			err = st.SetStatus(ctx, "acme", billing.KindInvoice, id, store.StatusUpdate{Status: store.StatusWaiting, Version: 2, WaitingOn: on})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	link := func(id string, state store.LinkState, qboID, realm string, at time.Time) {
		clock = at
		if _, err := st.PutLink(ctx, store.Link{Tenant: "acme", Kind: billing.KindCustomer, ID: id, RealmID: realm,
			State: state, QBOID: qboID}); err != nil {
			t.Fatal(err)
		}
	}
	waiter("inv_stranded", "customer/cus_linked", old)
	waiter("inv_parent_unlinked", "customer/cus_creating", old)
	waiter("inv_parent_missing", "customer/cus_none", old)
	waiter("inv_just_waiting", "customer/cus_linked", recent)
	waiter("inv_other_realm", "customer/cus_elsewhere", old)
	waiter("inv_parent_just_linked", "customer/cus_fresh", old)
	link("cus_linked", store.LinkLinked, "1", "r1", old)
	link("cus_creating", store.LinkCreating, "", "r1", old)
	link("cus_elsewhere", store.LinkLinked, "2", "r0", old)
	link("cus_fresh", store.LinkLinked, "3", "r1", recent)

	q := &recordingQueue{}
	s := New(st, storeTokens{st}, q, nil, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.sent) != 1 || q.sent[0].ID != "inv_stranded" || q.sent[0].Version != 2 || res.Requeued != 1 {
		t.Fatalf("requeued %+v (result %+v), want only inv_stranded", q.sent, res)
	}
}
