package throttle

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

// queuedRealms is memRealms that also keeps the company's queue of
// deferred requests: each refused request gets the next free place,
// n intervals after the last one given.
type queuedRealms struct {
	memRealms
	deferAt map[string]time.Time
	queued  int
}

func (m *queuedRealms) QueueRefused(_ context.Context, realm string, p Policy, retryAt time.Time, n int) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.deferAt == nil {
		m.deferAt = map[string]time.Time{}
	}
	until := retryAt
	if at := m.deferAt[realm]; at.After(until) {
		until = at
	}
	m.deferAt[realm] = until.Add(time.Duration(n) * p.Interval)
	m.queued++
	return until, nil
}

// TestRefusedRequestsComeBackApart: when a company's schedule is booked
// beyond what a request may wait, the refused requests are deferred to
// distinct times spaced at the schedule's rate. Given the same time, a
// backlog of deferred syncs would all come back at once, most be refused
// again and be deferred again: a cost per entity that grows with the
// backlog.
func TestRefusedRequestsComeBackApart(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := DefaultPolicy()
	realms := &queuedRealms{}
	// The company's schedule is booked a minute ahead.
	realms.schedules = map[string]*Schedule{"r1": {TAT: now.Add(time.Minute), Slots: map[int]time.Time{}}}
	rt := &Transport{Base: status(http.StatusOK), Realms: realms, MaxWait: time.Second,
		Now: func() time.Time { return now }}
	var untils []time.Time
	for range 20 {
		req, _ := http.NewRequest(http.MethodPost, "http://qbo.invalid/v3/company/r1/invoice", nil)
		_, err := rt.RoundTrip(req)
		var te *Error
		if !errors.As(err, &te) || te.Resting {
			t.Fatalf("err = %v, want an *Error for the busy schedule", err)
		}
		untils = append(untils, te.Until)
	}
	slices.SortFunc(untils, func(a, b time.Time) int { return a.Compare(b) })
	first := now.Add(time.Minute - p.Burst)
	if untils[0].Before(first.Add(-p.Interval)) {
		t.Errorf("the first refused request comes back at %v, before the schedule frees (%v)", untils[0], first)
	}
	for i := 1; i < len(untils); i++ {
		if gap := untils[i].Sub(untils[i-1]); gap < p.Interval {
			t.Fatalf("refused requests %d and %d come back %v apart, want at least the schedule's interval %v",
				i-1, i, gap, p.Interval)
		}
	}
}
