package syncer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/syncer"
	"github.com/qbosync/qbosync/internal/throttle"
)

// scheduled is the fake company behind the company's request schedule:
// the next refuse calls of op are turned away unsent, as the schedule
// does when the company is at its limit.
type scheduled struct {
	*qbofake.Company
	mu     sync.Mutex
	op     string
	refuse int
}

func (s *scheduled) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	s.mu.Lock()
	turnAway := r.Op == s.op && s.refuse > 0
	if turnAway {
		s.refuse--
	}
	s.mu.Unlock()
	if turnAway {
		return nil, &qbo.Error{Op: r.Op, Err: &throttle.Error{Realm: r.RealmID, Until: clock.Add(time.Second)}}
	}
	return s.Company.Do(ctx, r)
}

// A create whose answer was lost may have run. If the customer is renamed
// before the retry (so its name no longer finds it) and the retry is then
// kept back by the company's schedule, that refusal says nothing about
// the first send: the intent keeps its requestid, and the next attempt's
// replay returns the customer the first send made instead of creating a
// second one.
func TestLostCreateKeptBackOnRetryIsNotCreatedTwice(t *testing.T) {
	w := newWorld(t)
	books := &scheduled{Company: w.books, op: "create Customer"}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return books }))

	w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
	w.books.Fail("create Customer", qbofake.AnswerLost)
	_ = w.sync(billing.KindCustomer, "cus_1") // deferred or failed: delivered again
	if st := w.entity(billing.KindCustomer, "cus_1"); st.Status == record.StatusSynced || w.books.Created("Customer") != 1 {
		t.Fatalf("after the lost answer: status %s, %d customers created; want unsynced, 1 created", st.Status, w.books.Created("Customer"))
	}
	w.receive(billing.KindCustomer, "cus_1", "cus_1", 2,
		`{"id":"cus_1","version":2,"display_name":"Acme Corporation","email":"billing@acme.example","currency":"USD"}`)
	books.refuse = 1
	_ = w.sync(billing.KindCustomer, "cus_1")
	if st := w.entity(billing.KindCustomer, "cus_1"); st.Status == record.StatusSynced || books.refuse != 0 {
		t.Fatalf("after the schedule kept the retry back: status %s, %d refusals left; want unsynced, none left", st.Status, books.refuse)
	}
	if err := w.sync(billing.KindCustomer, "cus_1"); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	got, err := qbofake.All[qbo.Customer](w.books)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || w.books.Created("Customer") != 1 {
		t.Fatalf("QuickBooks holds %d customers (%d ever created), want exactly 1: %+v", len(got), w.books.Created("Customer"), got)
	}
	if got[0].DisplayName != "Acme Corporation" {
		t.Errorf("customer named %q, want billing's newest name %q", got[0].DisplayName, "Acme Corporation")
	}
	if l := w.link(billing.KindCustomer, "cus_1"); !l.Linked() || l.QBOID != got[0].ID {
		t.Errorf("link = %+v, want linked to %s", l, got[0].ID)
	}
}
