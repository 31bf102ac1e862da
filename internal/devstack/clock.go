package devstack

import (
	"errors"
	"sync/atomic"
	"time"
)

// clock is the stack's time: the wall clock moved forward by what Advance
// added. The simulator and the functions run in process read it, so a
// test lets a rule's time pass (the skew of a CDC window, say) without
// waiting for it.
type clock struct{ shift atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.shift.Load())) }

// ErrClockFixed: the functions run under aws-lambda-rie read the wall
// clock of their own processes, which Advance cannot move.
var ErrClockFixed = errors.New("the functions' clock is the wall clock under aws-lambda-rie")

// Advance moves the time of the simulator and of the functions forward
// by d, as if d had passed; with RuntimeRIE it refuses (ErrClockFixed).
func (s *Stack) Advance(d time.Duration) error {
	if s.opts.Runtime == RuntimeRIE {
		return ErrClockFixed
	}
	s.clock.shift.Add(int64(d))
	return nil
}
