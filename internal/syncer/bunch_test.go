package syncer

import (
	"testing"
	"time"
)

// Every function must tell the same turn for the same moment, at least
// bunchLead ahead (its seats are written before it is read) and never a
// whole spacing further than needed.
func TestNextTurnFallsOnTheCompanysGrid(t *testing.T) {
	base := time.UnixMilli(1_800_000_000_000)
	for _, d := range []time.Duration{0, time.Millisecond, bunchSpacing - bunchLead, bunchSpacing - bunchLead + time.Millisecond, 1234 * time.Millisecond, bunchSpacing} {
		now := base.Add(d)
		turn := nextTurn(now)
		if turn.UnixMilli()%bunchSpacing.Milliseconds() != 0 {
			t.Errorf("now +%v: turn %v is not on a multiple of %v", d, turn, bunchSpacing)
		}
		if ahead := turn.Sub(now); ahead < bunchLead || ahead > bunchLead+bunchSpacing {
			t.Errorf("now +%v: turn %v ahead, want between %v and %v", d, ahead, bunchLead, bunchLead+bunchSpacing)
		}
		if again := nextTurn(now.Add(time.Millisecond)); turn.Sub(now) > bunchLead && !again.Equal(turn) {
			t.Errorf("now +%v: a millisecond later the turn is %v, want the same %v", d, again, turn)
		}
	}
}
