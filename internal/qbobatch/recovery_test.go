package qbobatch_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/throttle"
)

func addFault(t *testing.T, base, realm, rule string) {
	t.Helper()
	resp, err := http.Post(base+"/_sim/companies/"+realm+"/faults", "application/json", bytes.NewBufferString(rule))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add fault %s: %s", rule, resp.Status)
	}
}

func customers(t *testing.T, client *qbo.Client, realm string) []qbo.Customer {
	t.Helper()
	cs, err := qbo.Query[qbo.Customer](context.Background(), client, realm, "SELECT * FROM Customer")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Two customers are created in one batch whose answer is lost after
// QuickBooks committed it. One is renamed in billing before its sync
// retries, so a lookup by its new name finds nothing and the retry sends
// the create again with its requestid, marked as a retry. QuickBooks must end with one
// customer for it, and the retry's answer must be the customer the lost
// batch created.
func TestLostBatchAnswerCreatesOnceAfterRename(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	j := &memJournal{}
	b := &qbobatch.Batcher{Base: &throttle.Transport{Realms: open{}}, Journal: j}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	ctx := context.Background()
	addFault(t, base, co.RealmID, `{"operation":"batch","drop_response":true}`)

	var wg sync.WaitGroup
	for req, name := range map[string]string{"req-ada": "Ada", "req-grace": "Grace"} {
		mctx, leave := round.Join(ctx)
		wg.Go(func() {
			defer leave()
			if _, err := qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: name}, req); err == nil {
				t.Errorf("%s: created, want the batch's lost answer", name)
			}
		})
	}
	wg.Wait()
	if n := len(customers(t, client, co.RealmID)); n != 2 || len(j.recorded) != 1 {
		t.Fatalf("after the lost batch QuickBooks holds %d customers and %d batches are recorded, want the 2 it committed and 1", n, len(j.recorded))
	}

	retried, err := qbo.Create(qbobatch.Retrying(ctx), client, co.RealmID, qbo.Customer{DisplayName: "Ada Lovelace"}, "req-ada")
	if err != nil {
		t.Fatalf("retry of Ada's create: %v", err)
	}
	got := customers(t, client, co.RealmID)
	if len(got) != 2 {
		var names []string
		for _, c := range got {
			names = append(names, c.DisplayName)
		}
		t.Errorf("QuickBooks holds %d customers after the retry, want 2: %q", len(got), names)
	}
	if retried.DisplayName != "Ada" {
		t.Errorf("the retry answered %q (id %s), want the customer the lost batch created, Ada", retried.DisplayName, retried.ID)
	}
}

// A create sent alone whose answer was lost is retried, renamed, while
// another sync's create waits for a batch: the retry goes out alone with
// its requestid, so QuickBooks replays the first answer instead of
// creating a second customer inside the batch.
func TestRetriedSingleCreateNeverJoinsABatch(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	b := &qbobatch.Batcher{Journal: &memJournal{}}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	ctx := context.Background()
	addFault(t, base, co.RealmID, `{"operation":"create","entity":"Customer","drop_response":true}`)
	if _, err := qbo.Create(ctx, client, co.RealmID, qbo.Customer{DisplayName: "Solo"}, "req-solo"); err == nil {
		t.Fatal("created, want the lost answer")
	}

	var retried, other qbo.Customer
	var retryErr, otherErr error
	var wg sync.WaitGroup
	actx, leaveA := round.Join(ctx)
	bctx, leaveB := round.Join(ctx)
	wg.Go(func() {
		defer leaveA()
		retried, retryErr = qbo.Create(qbobatch.Retrying(actx), client, co.RealmID, qbo.Customer{DisplayName: "Solo Renamed"}, "req-solo")
	})
	wg.Go(func() {
		defer leaveB()
		other, otherErr = qbo.Create(bctx, client, co.RealmID, qbo.Customer{DisplayName: "Other"}, "req-other")
	})
	wg.Wait()
	if retryErr != nil || retried.DisplayName != "Solo" {
		t.Errorf("retry: %q, %v; want the customer the lost create made, Solo", retried.DisplayName, retryErr)
	}
	if otherErr != nil || other.DisplayName != "Other" {
		t.Errorf("the other sync's create: %q, %v", other.DisplayName, otherErr)
	}
	if n := len(customers(t, client, co.RealmID)); n != 2 {
		t.Errorf("QuickBooks holds %d customers, want 2 (Solo and Other)", n)
	}
}

// open is a company whose schedule admits everything.
type open struct{}

func (open) Admit(_ context.Context, _ string, _ throttle.Policy, n int, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	return throttle.Grant{N: n, Lease: now.Add(22 * time.Second), Expires: now.Add(2 * time.Second)}, nil, nil
}
func (open) Release(context.Context, string, throttle.Grant, time.Duration) error { return nil }
func (open) ThrottleRealm(context.Context, string, time.Time) error               { return nil }
func (open) Seat(_ context.Context, _ string, _ throttle.Policy, g throttle.Grant, _ time.Time) (throttle.Grant, *throttle.Refusal, error) {
	return g, nil, nil
}

// resting is a company resting after a 429: its schedule admits nothing.
type resting struct{}

func (resting) Admit(_ context.Context, _ string, _ throttle.Policy, _ int, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	return throttle.Grant{}, &throttle.Refusal{RetryAt: now.Add(time.Minute), Resting: true}, nil
}
func (resting) Release(context.Context, string, throttle.Grant, time.Duration) error { return nil }
func (resting) ThrottleRealm(context.Context, string, time.Time) error               { return nil }
func (resting) Seat(_ context.Context, _ string, _ throttle.Policy, _ throttle.Grant, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	return throttle.Grant{}, &throttle.Refusal{RetryAt: now.Add(time.Minute), Resting: true}, nil
}

// A batch the company's schedule refused is never recorded: nothing was
// sent, its syncs create anew under new requestids, and a recorded batch
// could be replayed by a retry later and carry its creates out twice.
func TestRefusedBatchIsNotRecorded(t *testing.T) {
	j := &memJournal{}
	b := &qbobatch.Batcher{Base: &throttle.Transport{Realms: resting{}}, Journal: j}
	round := b.Round()
	client := qbo.New(&http.Client{Transport: b}, "http://127.0.0.1:1")
	var wg sync.WaitGroup
	for _, id := range []string{"req-a", "req-b"} {
		mctx, leave := round.Join(context.Background())
		wg.Go(func() {
			defer leave()
			_, err := qbo.Create(mctx, client, "9130", qbo.Customer{DisplayName: id}, id)
			var te *throttle.Error
			if !errors.As(err, &te) || !te.Resting {
				t.Errorf("%s: %v, want the schedule's refusal", id, err)
			}
		})
	}
	wg.Wait()
	if len(j.recorded) != 0 {
		t.Errorf("%d batches recorded, want none: the only one was refused", len(j.recorded))
	}
}
