package qbosim_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// QBO allows a realm so many requests per minute; beyond that it answers
// 429 with ThrottleExceeded 3001 until the minute has passed.
func TestRequestsPerMinute(t *testing.T) {
	s := newSim(t, "", func(o *standalone.Options) { o.RatePerMinute = 3 })
	for range 3 {
		if r := s.api(http.MethodGet, "preferences", nil); r.status != http.StatusOK {
			t.Fatalf("within the limit: %d", r.status)
		}
	}
	r := s.api(http.MethodGet, "preferences", nil)
	e := wantFault(t, r, http.StatusTooManyRequests, "3001")
	if e["Message"] != "message=ThrottleExceeded; errorCode=003001; statusCode=429" {
		t.Errorf("Message = %v", e["Message"])
	}
	s.clock.Advance(59 * time.Second)
	wantFault(t, s.api(http.MethodGet, "preferences", nil), http.StatusTooManyRequests, "3001")
	s.clock.Advance(2 * time.Second)
	if r := s.api(http.MethodGet, "preferences", nil); r.status != http.StatusOK {
		t.Errorf("after the window: %d", r.status)
	}
	// Limits are per realm: another company is unaffected.
	other := qbosimtestCompany(t, s)
	if r := s.apiIn(other.RealmID, other.AccessToken, http.MethodGet, "preferences", nil); r.status != http.StatusOK {
		t.Errorf("other realm: %d %s", r.status, r.raw)
	}
	if got := str(s.control(http.MethodGet, "stats", nil).body, "throttled"); got != "2" {
		t.Errorf("stats throttled = %s", got)
	}
}

// QBO allows a realm at most so many requests in flight; one more is 429.
func TestConcurrentRequests(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	s := newSim(t, "", func(o *standalone.Options) {
		o.MaxConcurrent = 2
		o.Latency = time.Second
		o.Sleep = func(ctx context.Context, d time.Duration) {
			entered <- struct{}{}
			<-release
		}
	})
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- s.api(http.MethodGet, "preferences", nil).status
		}()
	}
	<-entered
	<-entered
	wantFault(t, s.api(http.MethodGet, "preferences", nil), http.StatusTooManyRequests, "3001")
	close(release)
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != http.StatusOK {
			t.Errorf("held request: %d", st)
		}
	}
	if r := s.api(http.MethodGet, "preferences", nil); r.status != http.StatusOK {
		t.Errorf("after release: %d", r.status)
	}
}

// Concurrent writes to one company are serialised: all succeed, ids are
// distinct and the books balance.
func TestConcurrentWritesStayConsistent(t *testing.T) {
	s := newSim(t, "", unlimited)
	noAutoApply(s)
	cust := s.customer("Busy Co")
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.api(http.MethodPost, "invoice", map[string]any{"CustomerRef": refTo(cust), "Line": []any{itemLine("1.01")}})
			ids <- str(obj(r.body, "Invoice"), "Id")
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if id == "" || seen[id] {
			t.Errorf("id %q missing or repeated", id)
		}
		seen[id] = true
	}
	if l := s.ledger(); l.openAR(cust) != "20.20" {
		t.Errorf("open A/R = %s", l.openAR(cust))
	}
}
