package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

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

// Functions that may wait (Policy.Queue) each book their own turn in one
// write at the same instant: none is refused for another's write, the
// turns are spaced as the rate allows, near turns hold distinct slots
// already, and a later turn is seated on a free slot at its time.
func TestAdmitBooksTurnsForWaitingFunctions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	p := throttle.DefaultPolicy()
	p.Queue = 10 * time.Second
	now := time.Unix(1_800_000_000, 0)
	const realm, functions = "9341453", 12

	var mu sync.Mutex
	var grants []throttle.Grant
	var wg sync.WaitGroup
	for range functions {
		wg.Go(func() {
			g, refused, err := s.Admit(ctx, realm, p, 2, now)
			if err != nil || refused != nil {
				t.Errorf("admit with room to wait: refused %+v, err %v; want a grant or a booked turn", refused, err)
				return
			}
			mu.Lock()
			grants = append(grants, g)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(grants) != functions {
		t.Fatalf("%d grants, want %d", len(grants), functions)
	}
	var turns []time.Time
	var booked []throttle.Grant
	slots := map[int]bool{}
	for _, g := range grants {
		if !g.Start.IsZero() {
			turns = append(turns, g.Start)
		}
		if g.Booked() {
			booked = append(booked, g)
			continue
		}
		if slots[g.Slot] {
			t.Errorf("slot %d granted twice", g.Slot)
		}
		slots[g.Slot] = true
	}
	if near := len(turns) - len(booked); near == 0 || len(booked) == 0 {
		t.Fatalf("%d turns, %d of them seated; want near turns seated and later ones not", len(turns), near)
	}
	slices.SortFunc(turns, time.Time.Compare)
	for i := 1; i < len(turns); i++ {
		if gap := turns[i].Sub(turns[i-1]); gap < p.Interval.Truncate(time.Millisecond) {
			t.Errorf("turns %v and %v are %v apart, want at least %v (a request each)", turns[i-1], turns[i], gap, p.Interval)
		}
	}
	cells := 0
	for _, g := range grants {
		cells += g.N
	}
	last := turns[len(turns)-1]
	if want := now.Add(time.Duration(cells)*p.Interval - p.Burst); last.Before(want.Add(-time.Millisecond)) {
		t.Errorf("last turn at %v, want %v: the grants would exceed the rate", last.Sub(now), want.Sub(now))
	}

	for _, h := range grants {
		if h.Start.IsZero() { // free one slot of a grant admitted at once
			if err := s.Release(ctx, realm, h, 0); err != nil {
				t.Fatal(err)
			}
			delete(slots, h.Slot)
			break
		}
	}
	g := booked[0]
	got, refused, err := s.Seat(ctx, realm, p, g, g.Start)
	if err != nil || refused != nil || got.Booked() || slots[got.Slot] || !got.Lease.After(g.Start) {
		t.Fatalf("seat at its turn: %+v, refused %+v, err %v; want a slot no other grant holds, with a lease", got, refused, err)
	}
	if err := s.ThrottleRealm(ctx, realm, last.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, refused, err := s.Seat(ctx, realm, p, booked[len(booked)-1], last); err != nil || refused == nil || !refused.Resting {
		t.Errorf("seat while the company rests: refused %+v, err %v; want resting", refused, err)
	}
}

// A released grant gives its unsent requests back only while no grant
// was admitted after it: once one was (a turn booked ahead), giving them
// back would let a third grant share that turn and crowd its minute.
func TestReleaseGivesBackOnlyWhatNoLaterGrantCounts(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	p := throttle.DefaultPolicy()
	p.Queue = 10 * time.Second
	now := time.Unix(1_800_000_000, 0)
	const realm = "9341454"
	a, refused, err := s.Admit(ctx, realm, p, 5, now)
	if err != nil || refused != nil {
		t.Fatalf("first grant: refused %+v, err %v", refused, err)
	}
	b, refused, err := s.Admit(ctx, realm, p, 5, now)
	if err != nil || refused != nil {
		t.Fatalf("second grant: refused %+v, err %v", refused, err)
	}
	if err := s.Release(ctx, realm, a, 4*p.Interval); err != nil {
		t.Fatal(err)
	}
	c, refused, err := s.Admit(ctx, realm, p, 5, now)
	if err != nil || refused != nil {
		t.Fatalf("third grant: refused %+v, err %v", refused, err)
	}
	if want := b.TAT.Add(time.Duration(c.N) * p.Interval).Truncate(time.Millisecond); c.TAT.Before(want) {
		t.Errorf("third grant ends the schedule at %v, want %v or later: the first's unsent requests were given back under the second's", c.TAT.Sub(now), want.Sub(now))
	}
	if c.Booked() {
		if c, refused, err = s.Seat(ctx, realm, p, c, c.Start); err != nil || refused != nil {
			t.Fatalf("seat the third grant at its turn: refused %+v, err %v", refused, err)
		}
	}
	if err := s.Release(ctx, realm, c, time.Duration(c.N)*p.Interval); err != nil {
		t.Fatal(err)
	}
	d, refused, err := s.Admit(ctx, realm, p, 5, now)
	// Within the millisecond a refund is rounded down by.
	if err != nil || refused != nil || d.TAT.Before(c.TAT) || d.TAT.Sub(c.TAT) > time.Millisecond {
		t.Errorf("after the last grant gave its requests back: %+v, refused %+v, err %v; want the end of schedule %v again", d, refused, err, c.TAT.Sub(now))
	}
}

// Callers turned away at one instant, their turns beyond their wait,
// are each given their own time to come back, one grant apart, rather
// than all the same: a backlog then asks again at the rate the budget
// frees, not all at once and every round again.
func TestRefusalsSpaceTheirReturns(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	p := throttle.DefaultPolicy()
	p.Queue = time.Second
	now := time.Unix(1_800_000_000, 0)
	const realm = "9341455"
	// Spend the burst and the wait: the grants are held to the end.
	for refused := (*throttle.Refusal)(nil); refused == nil; {
		var err error
		if _, refused, err = s.Admit(ctx, realm, p, 5, now); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var returns []time.Time
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, refused, err := s.Admit(ctx, realm, p, 5, now)
			if err != nil || refused == nil || refused.Resting {
				t.Errorf("admit past the wait: refused %+v, err %v; want a refusal for the rate", refused, err)
				return
			}
			mu.Lock()
			returns = append(returns, refused.RetryAt)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortFunc(returns, time.Time.Compare)
	for i := 1; i < len(returns); i++ {
		if gap := returns[i].Sub(returns[i-1]); gap < (5 * p.Interval).Truncate(time.Millisecond) {
			t.Errorf("returns %d and %d are %v apart, want a grant (%v) at least", i-1, i, gap, 5*p.Interval)
		}
	}
	if len(returns) > 0 && !returns[0].After(now.Add(p.Queue)) {
		t.Errorf("first return at %v, want after the wait %v", returns[0].Sub(now), p.Queue)
	}
}
