package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/throttle"
)

// Functions admitting requests to one company at the same instant, on
// DynamoDB Local: the conditional writes let no more through than the
// burst allows, each grant holds its own slot, and a released grant's
// unsent requests are admitted again.
func TestAdmitSharesOneScheduleBetweenFunctions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	p := throttle.DefaultPolicy()
	now := time.Unix(1_800_000_000, 0)

	var mu sync.Mutex
	var grants []throttle.Grant
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, refused, err := s.Admit(ctx, "4620816365", p, 2, now)
			if err != nil {
				t.Error(err)
				return
			}
			if refused == nil {
				mu.Lock()
				grants = append(grants, g)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	cells, slots := 0, map[int]bool{}
	for _, g := range grants {
		cells += g.N
		if slots[g.Slot] {
			t.Errorf("slot %d granted twice", g.Slot)
		}
		slots[g.Slot] = true
	}
	if burst := int(p.Burst / p.Interval); cells > burst || cells == 0 {
		t.Fatalf("%d requests admitted at one instant, want 1..%d (the burst)", cells, burst)
	}

	_, refused, err := s.Admit(ctx, "4620816365", p, 2, now)
	if err != nil || refused == nil || !refused.RetryAt.After(now) || refused.Resting {
		t.Fatalf("admit past the burst: refused %+v, err %v; want a refusal with a later time", refused, err)
	}
	for _, g := range grants {
		if err := s.Release(ctx, "4620816365", g, time.Duration(g.N)*p.Interval); err != nil {
			t.Fatal(err)
		}
	}
	if _, refused, err := s.Admit(ctx, "4620816365", p, 2, now); err != nil || refused != nil {
		t.Fatalf("after the grants were given back unused: refused %+v, err %v; want a grant", refused, err)
	}

	if err := s.ThrottleRealm(ctx, "4620816365", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, refused, err = s.Admit(ctx, "4620816365", p, 2, now.Add(30*time.Second))
	if err != nil || refused == nil || !refused.Resting || !refused.RetryAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("admit while resting after a 429: refused %+v, err %v; want resting until %v", refused, err, now.Add(time.Minute))
	}
	if _, refused, err := s.Admit(ctx, "other-realm", p, 2, now); err != nil || refused != nil {
		t.Errorf("another company is not affected: refused %+v, err %v", refused, err)
	}
}

// Three functions deferring refused requests of one booked company at the
// same instant, on DynamoDB Local: each request gets its own place, the
// places one interval apart, so the deferred syncs come back at the rate
// the schedule admits them.
func TestQueueRefusedSpacesDeferredRequests(t *testing.T) {
	t.Parallel()
	_, _, res := stack.ForTest(t)
	ctx := context.Background()
	p := throttle.DefaultPolicy()
	retryAt := time.Unix(1_800_000_000, 0)
	// Each function's store remembers its own writes of the schedule.
	var functions []*store.Store
	for range 3 {
		functions = append(functions, store.New(stack.DynamoDB, res.Table, nil))
	}

	var mu sync.Mutex
	var places []time.Time
	var wg sync.WaitGroup
	for _, fn := range functions {
		wg.Go(func() {
			for range 10 {
				until, err := fn.QueueRefused(ctx, "4620816366", p, retryAt, 1)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				places = append(places, until)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(places, func(a, b time.Time) int { return a.Compare(b) })
	if len(places) != 30 || !places[0].Equal(retryAt) {
		t.Fatalf("%d places from %v, want 30 from the refusal's %v", len(places), places[0], retryAt)
	}
	for i := 1; i < len(places); i++ {
		if gap := places[i].Sub(places[i-1]); gap < p.Interval-time.Millisecond {
			t.Fatalf("deferred requests %d and %d come back %v apart, want the schedule's interval %v", i-1, i, gap, p.Interval)
		}
	}

	// Once every place is past, the queue starts again at the refusal.
	later := retryAt.Add(time.Hour)
	for i, want := range []time.Time{later, later.Add(p.Interval.Truncate(time.Millisecond))} {
		got, err := functions[i].QueueRefused(ctx, "4620816366", p, later, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.Sub(want); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("refused an hour later, request %d comes back at %v, want %v", i, got, want)
		}
	}
}
