package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/change"
)

// A group's lane: none at first; claimed once (a second claim is
// refused while the first holds); held and never shortened; tenants
// apart; free to claim again once its hold expired.
func TestGroupLaneIsClaimedOnceAndHeldUntilQuiet(t *testing.T) {
	ctx := context.Background()
	s, c := newClockedStore(t)
	held := func(tenant string, until time.Time) (change.Lane, bool) {
		t.Helper()
		l, ok, err := s.HoldLane(ctx, tenant, tenant+"#cus_1", until)
		if err != nil {
			t.Fatal(err)
		}
		return l, ok
	}
	claim := func(tenant string, l change.Lane, until time.Time) bool {
		t.Helper()
		ok, err := s.ClaimLane(ctx, tenant, tenant+"#cus_1", l, until)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	t0 := c.now()
	if _, ok := held("acme", t0.Add(15*time.Minute)); ok {
		t.Fatal("a group never seen holds a lane")
	}
	if !claim("acme", change.LaneBackfill, t0.Add(15*time.Minute)) {
		t.Fatal("claim of a group without a lane refused")
	}
	if claim("acme", change.LaneLive, t0.Add(15*time.Minute)) {
		t.Error("a second claim was accepted while the first holds")
	}
	if _, ok := held("globex", t0.Add(15*time.Minute)); ok {
		t.Error("another tenant's group of the same customer id holds acme's lane")
	}
	// A parked message holds it to 55 minutes; a later, shorter hold
	// does not cut that.
	if l, ok := held("acme", t0.Add(55*time.Minute)); !ok || l != change.LaneBackfill {
		t.Fatalf("hold: %s %v, want backfill held", l, ok)
	}
	c.add(30 * time.Minute)
	if l, ok := held("acme", c.now().Add(15*time.Minute)); !ok || l != change.LaneBackfill {
		t.Errorf("30 minutes on, inside the parked hold: %s %v, want backfill held", l, ok)
	}
	c.add(26 * time.Minute)
	if _, ok := held("acme", c.now().Add(15*time.Minute)); ok {
		t.Error("the hold outlived its 55 minutes")
	}
	if !claim("acme", change.LaneLive, c.now().Add(15*time.Minute)) {
		t.Fatal("claim of an expired group refused")
	}
	if l, ok := held("acme", c.now().Add(15*time.Minute)); !ok || l != change.LaneLive {
		t.Errorf("after the new claim: %s %v, want live held", l, ok)
	}
}
