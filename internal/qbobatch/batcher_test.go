package qbobatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/throttle"
)

type simStats struct {
	Requests    int            `json:"requests"`
	ByOperation map[string]int `json:"by_operation"`
}

func stats(t *testing.T, base, realm string) simStats {
	t.Helper()
	resp, err := http.Get(base + "/_sim/companies/" + realm + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s simStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Three syncs creating customers at the same moment reach QuickBooks (the
// simulator, over HTTP) as one batch request; each gets its own answer as
// from a single call: the new customer, or QuickBooks' refusal of its
// own item with the code and message a single create would have carried.
func TestConcurrentWritesGoOutAsOneBatch(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	b := &qbobatch.Batcher{Journal: &memJournal{}}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	ctx := context.Background()
	if _, err := qbo.Create(ctx, client, co.RealmID, qbo.Customer{DisplayName: "Taken"}, "req-0"); err != nil {
		t.Fatal(err)
	}
	before := stats(t, base, co.RealmID).Requests

	names := []string{"Ada", "Grace", "Taken"}
	got := make([]qbo.Customer, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		mctx, leave := round.Join(ctx)
		wg.Go(func() {
			defer leave()
			got[i], errs[i] = qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: name}, fmt.Sprintf("req-%d", i+1))
		})
	}
	wg.Wait()

	after := stats(t, base, co.RealmID)
	if n := after.Requests - before; n != 1 || after.ByOperation["batch"] != 1 {
		t.Errorf("QuickBooks saw %d requests (%v), want 1 batch for the 3 creates", n, after.ByOperation)
	}
	for i := range 2 {
		if errs[i] != nil || got[i].ID == "" || got[i].DisplayName != names[i] {
			t.Errorf("%s: %+v, %v; want the created customer", names[i], got[i], errs[i])
		}
	}
	var qe *qbo.Error
	if !errors.As(errs[2], &qe) || qe.Code != "6240" || qe.Status != http.StatusBadRequest || !qe.Validation() {
		t.Errorf("Taken: %v, want QuickBooks' 6240 duplicate-name refusal of that item alone", errs[2])
	}
}

// A write by a caller that did not join, or a lone member's, goes out as
// the single call it is.
func TestLoneWriteGoesOutAlone(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	b := &qbobatch.Batcher{Journal: &memJournal{}}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	mctx, leave := round.Join(context.Background())
	defer leave()
	if _, err := qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: "Solo"}, "req-solo"); err != nil {
		t.Fatal(err)
	}
	if _, err := qbo.Create(context.Background(), client, co.RealmID, qbo.Customer{DisplayName: "Outsider"}, "req-out"); err != nil {
		t.Fatal(err)
	}
	s := stats(t, base, co.RealmID)
	if s.ByOperation["batch"] != 0 || s.ByOperation["create Customer"] != 2 {
		t.Errorf("operations %v, want 2 single creates and no batch", s.ByOperation)
	}
}

// Two syncs sending the same requestid at once (both creating the
// tenant's default item) get one object, as QuickBooks' replay of a
// requestid gives: a batch carries no requestid per item, so the batcher
// sends it once.
func TestSameRequestIDIsSentOnce(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	b := &qbobatch.Batcher{Journal: &memJournal{}}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	got := make([]qbo.Customer, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range got {
		mctx, leave := round.Join(context.Background())
		name, req := "Billing default", "req-default"
		if i == 2 {
			name, req = "Other", "req-other"
		}
		wg.Go(func() {
			defer leave()
			got[i], errs[i] = qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: name}, req)
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || got[0].ID == "" || got[0].ID != got[1].ID {
		t.Errorf("same requestid twice: %+v %v / %+v %v; want one customer for both", got[0], errs[0], got[1], errs[1])
	}
	if errs[2] != nil || got[2].ID == "" || got[2].ID == got[0].ID {
		t.Errorf("the other write: %+v %v", got[2], errs[2])
	}
}

// batchesFull is a company whose batch schedule is spent for the minute
// while its request schedule has room.
type batchesFull struct{ open }

func (f batchesFull) Admit(ctx context.Context, key string, p throttle.Policy, n int, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	if strings.HasSuffix(key, "/batch") {
		return throttle.Grant{}, &throttle.Refusal{RetryAt: now.Add(30 * time.Second)}, nil
	}
	return f.open.Admit(ctx, key, p, n, now)
}

// While the company's batch schedule has no room, concurrent creates do
// not wait for it: each goes out at once as its own call, on the request
// schedule, and no batch is recorded.
func TestCreatesGoAloneWhileNoBatchIsAdmitted(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	j := &memJournal{}
	tr := &throttle.Transport{Realms: batchesFull{}, MaxWait: 10 * time.Second}
	b := &qbobatch.Batcher{Base: tr, Journal: j}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	start := time.Now()
	var wg sync.WaitGroup
	for i, name := range []string{"Ada", "Grace", "Hedy"} {
		mctx, leave := round.Join(context.Background())
		wg.Go(func() {
			defer leave()
			if _, err := qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: name}, fmt.Sprintf("req-%d", i)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the creates took %s, want them sent without waiting for the batch schedule", took)
	}
	s := stats(t, base, co.RealmID)
	if s.ByOperation["batch"] != 0 || s.ByOperation["create Customer"] != 3 || len(j.recorded) != 0 {
		t.Errorf("operations %v, %d batches recorded; want 3 single creates and none", s.ByOperation, len(j.recorded))
	}
	if n := len(customers(t, client, co.RealmID)); n != 3 {
		t.Errorf("QuickBooks holds %d customers, want 3", n)
	}
}

// Syncs of two invocations never share a batch, as on Lambda, where an
// instance runs one invocation at a time: the local stack, running many
// in one process, sends the batches AWS would.
func TestRoundsOfTwoInvocationsDoNotMix(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	b := &qbobatch.Batcher{Journal: &memJournal{}}
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	var wg sync.WaitGroup
	for i, name := range []string{"Ada", "Grace"} {
		mctx, leave := b.Round().Join(context.Background())
		wg.Go(func() {
			defer leave()
			if _, err := qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: name}, fmt.Sprintf("req-%d", i)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	wg.Wait()
	if s := stats(t, base, co.RealmID); s.ByOperation["batch"] != 0 || s.ByOperation["create Customer"] != 2 {
		t.Errorf("operations %v, want 2 single creates and no batch", s.ByOperation)
	}
}
