package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
)

// Forty-five syncs turned away at once fill a company's bunches on
// DynamoDB Local: thirty seats in the first turn, fifteen in the next one
// spacing later, each turn opened by exactly one of them, and each turn
// returns exactly the messages seated in it, for no other company.
func TestBunchesSeatConcurrentSyncsInTurnsOfThirty(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	const spacing, lead = 2 * time.Second, 2 * time.Second
	type seat struct {
		turn  time.Time
		opens bool
	}
	seats := make([]seat, 45)
	errs := make([]error, 45)
	var wg sync.WaitGroup
	for i := range seats {
		wg.Go(func() {
			m := change.Message{Tenant: "t1", Kind: billing.KindInvoice, ID: fmt.Sprintf("inv_%02d", i), Version: 3, Waits: 1}
			seats[i].turn, seats[i].opens, errs[i] = s.BookBunch(ctx, "9130", m, 30, spacing, now.Add(lead))
		})
	}
	wg.Wait()
	first, second := now.Add(lead), now.Add(lead+spacing)
	count := map[time.Time]int{}
	opened := map[time.Time]int{}
	for i, st := range seats {
		if errs[i] != nil {
			t.Fatalf("seat %d: %v", i, errs[i])
		}
		count[st.turn]++
		if st.opens {
			opened[st.turn]++
		}
	}
	if count[first] != 30 || count[second] != 15 || len(count) != 2 {
		t.Fatalf("seats per turn %v, want 30 at %v and 15 at %v", count, first, second)
	}
	if opened[first] != 1 || opened[second] != 1 {
		t.Errorf("openers per turn %v, want one each", opened)
	}
	for turn, want := range count {
		got, err := s.Bunch(ctx, "9130", turn)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range got {
			if m.Tenant != "t1" || m.Kind != billing.KindInvoice || m.Version != 3 || m.Waits != 1 {
				t.Errorf("seated message %+v, want the message as seated", m)
			}
			ids[m.ID] = true
		}
		if len(got) != want || len(ids) != want {
			t.Errorf("turn %v returns %d messages (%d ids), want %d", turn, len(got), len(ids), want)
		}
	}
	if other, err := s.Bunch(ctx, "7777", first); err != nil || len(other) != 0 {
		t.Errorf("another company's turn: %d messages, err %v; want none", len(other), err)
	}
}

// A turn closer than lead is never booked: a sync turned away later than
// that opens the next turn (spacing after it), so a turn read when it
// comes holds every seat written for it.
func TestBunchTurnTooNearIsNotBooked(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	const spacing, lead = 2 * time.Second, 2 * time.Second
	m := change.Message{Tenant: "t1", Kind: billing.KindCustomer, ID: "cus_1", Version: 1}
	turn, opens, err := s.BookBunch(ctx, "9130", m, 30, spacing, now.Add(lead))
	if err != nil || !opens || !turn.Equal(now.Add(lead)) {
		t.Fatalf("first seat: turn %v, opens %v, err %v; want %v, opening it", turn, opens, err, now.Add(lead))
	}
	m.ID = "cus_2"
	later := now.Add(time.Second)
	turn2, opens2, err := s.BookBunch(ctx, "9130", m, 30, spacing, later.Add(lead))
	if err != nil || !opens2 || !turn2.Equal(turn.Add(spacing)) {
		t.Fatalf("seat a second later: turn %v, opens %v, err %v; want a new turn at %v", turn2, opens2, err, turn.Add(spacing))
	}
	m.ID = "cus_3"
	turn3, opens3, err := s.BookBunch(ctx, "9130", m, 30, spacing, later.Add(lead))
	if err != nil || opens3 || !turn3.Equal(turn2) {
		t.Errorf("third seat: turn %v, opens %v, err %v; want a seat in %v", turn3, opens3, err, turn2)
	}
}
