// Package throttle keeps each QuickBooks company under Intuit's request
// limits: 500 requests in any 60 s and 10 in flight per company. Every
// Accounting API call, whichever function makes it, is admitted first
// against the company's schedule shared in the store, so throttling is
// planned for rather than discovered through 429s; a 429 still rests the
// company.
package throttle

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Policy is a company's admission schedule. A cell-rate schedule (GCRA)
// spaces requests Interval apart on average and lets a burst run up to
// Burst ahead of that; so in any window W at most (W+Burst)/Interval
// requests are admitted. Grants of several requests at once keep the
// store's cost per request low; their requests go out within GrantLife or
// not at all, which widens the window by GrantLife.
type Policy struct {
	Interval  time.Duration
	Burst     time.Duration
	Slots     int           // requests in flight at once
	GrantSize int           // requests one grant admits
	GrantLife time.Duration // a grant's requests start within this
	// Lease bounds a slot's hold: GrantLife plus the longest request. A
	// holder that dies frees its slot when the lease ends.
	Lease time.Duration
	// Queue is how far ahead a grant may be booked: a caller willing to
	// wait that long gets its turn (Grant.Start) in one write and sleeps
	// until it, rather than asking again at every turn of the schedule.
	// 0: grants start at once or are refused.
	Queue time.Duration
}

// Intuit's limits per company, with headroom.
const (
	intuitWindow = 60 * time.Second
	// MaxPerMinute is what the schedule admits at most in any trailing
	// 60 s (Intuit: 500).
	MaxPerMinute = 480
	// MaxInFlight is Intuit's limit of concurrent requests per company.
	MaxInFlight = 10
	// RequestTimeout bounds one Accounting API call, so a slot's lease
	// always outlives the request it admits.
	RequestTimeout = 20 * time.Second
	// DefaultBackoff is the rest after a 429: Intuit asks for 60 s.
	DefaultBackoff = 60 * time.Second
	// DefaultMaxWait: a request waits this long in process for
	// admission; beyond it the caller gets an *Error to reschedule on.
	DefaultMaxWait = 3 * time.Second
)

// DefaultPolicy is the schedule of a company's single requests: it
// admits what the batch schedule leaves of MaxPerMinute in any 60 s and of
// MaxInFlight at once, so that both together stay within Intuit's limits
// and a batch never waits behind single requests for a cell of theirs.
func DefaultPolicy() Policy {
	p := Policy{Slots: MaxInFlight - batchSlots, GrantSize: 5, GrantLife: 2 * time.Second}
	p.Lease = p.GrantLife + RequestTimeout
	// Burst lets two grants run ahead. Requests in any 60 s are at most
	// (60 s + GrantLife)/Interval + Burst/Interval.
	burstCells := 2 * p.GrantSize
	p.Interval = (intuitWindow + p.GrantLife) / time.Duration(MaxPerMinute-MaxBatchesPerMinute-burstCells)
	p.Burst = time.Duration(burstCells) * p.Interval
	return p
}

// MaxBatchesPerMinute is what the batch schedule admits in any 60 s
// (Intuit: 40 batch requests a minute per company). Each is also one of
// the company's requests: the single requests' schedule leaves them room.
const MaxBatchesPerMinute = 36

// batchSlots is how many batch requests may be in flight at once, out of
// MaxInFlight.
const batchSlots = 2

// BatchPolicy is the schedule of a company's batch requests: one request
// per grant, a burst of two.
func BatchPolicy() Policy {
	p := Policy{Slots: batchSlots, GrantSize: 1, GrantLife: time.Second}
	p.Lease = p.GrantLife + RequestTimeout
	p.Interval = (intuitWindow + p.GrantLife) / time.Duration(MaxBatchesPerMinute-2)
	p.Burst = 2 * p.Interval
	return p
}

// PerMinute is the steady rate the policy admits.
func (p Policy) PerMinute() int { return int(intuitWindow / p.Interval) }

// Grant admits up to N requests to a realm, one at a time in slot Slot,
// starting before Expires.
type Grant struct {
	Slot    int
	N       int
	Lease   time.Time // the slot is held until then unless released
	Expires time.Time
	// Start is when a grant booked ahead may begin (Policy.Queue). A
	// near turn holds its slot already; a later one holds none (Slot is
	// -1) until Seat gives it one. Zero for a grant that starts at once.
	Start time.Time
	// TAT is the schedule's end as this grant's admission left it. Its
	// unsent requests are given back only while the schedule still ends
	// there: once a later grant was admitted after them (booked, maybe,
	// for a turn ahead), giving them back would let a third grant share
	// that turn.
	TAT  time.Time
	used int // requests sent under the grant
}

// Booked reports whether g is a turn booked ahead that holds no slot yet.
func (g Grant) Booked() bool { return g.Slot < 0 }

// Refusal says when to ask again.
type Refusal struct {
	RetryAt time.Time
	// Resting: the realm was throttled by QuickBooks (a 429), not just
	// busy.
	Resting bool
}

// Realms stores each realm's shared schedule.
type Realms interface {
	// Admit grants n requests (at most p.GrantSize) and one slot at now,
	// or refuses with when to try again.
	Admit(ctx context.Context, realm string, p Policy, n int, now time.Time) (Grant, *Refusal, error)
	// Release frees g's slot before its lease ends and gives refund back
	// to the schedule (the unsent requests of a grant still current) if
	// no grant was admitted after g (the schedule still ends at g.TAT).
	Release(ctx context.Context, realm string, g Grant, refund time.Duration) error
	// ThrottleRealm rests realm until until: nothing is admitted before.
	ThrottleRealm(ctx context.Context, realm string, until time.Time) error
	// Seat gives booked grant g a free slot at now (its turn): the grant
	// with its slot and lease, or a refusal while the realm rests or every
	// slot is held.
	Seat(ctx context.Context, realm string, p Policy, g Grant, now time.Time) (Grant, *Refusal, error)
}

// Error means the realm is resting or busy until Until; the caller
// reschedules the work for then.
type Error struct {
	Realm   string
	Until   time.Time
	Resting bool
	// Batch: the company's batch schedule refused a batch request marked
	// BatchNow; its request schedule may still have room.
	Batch bool
}

func (e *Error) Error() string {
	why := "at its request limit"
	if e.Resting {
		why = "throttled by QuickBooks"
	}
	return fmt.Sprintf("quickbooks company %s is %s until %s", e.Realm, why, e.Until.UTC().Format(time.RFC3339))
}

// RealmOf returns the realm of an Accounting API path, "" for others.
func RealmOf(path string) string {
	_, rest, ok := strings.Cut(path, "/v3/company/")
	if !ok {
		return ""
	}
	realm, _, _ := strings.Cut(rest, "/")
	return realm
}

// Schedule is a realm's shared state: when the next request is due on
// average (TAT, zero when idle), the rest after a 429, and the lease end
// of each held slot.
type Schedule struct {
	TAT       time.Time
	RestUntil time.Time
	Slots     map[int]time.Time
}

// Plan decides a grant at now against s: the realm's rest first, then the
// cell-rate schedule, then a free slot. It returns the schedule's new TAT with the
// grant, or a refusal.
func (p Policy) Plan(s Schedule, n int, now time.Time) (Grant, time.Time, *Refusal) {
	if s.RestUntil.After(now) {
		return Grant{}, time.Time{}, &Refusal{RetryAt: s.RestUntil, Resting: true}
	}
	start := now
	if s.TAT.After(now) {
		start = s.TAT
	}
	n = max(1, min(n, p.GrantSize))
	due := start.Add(time.Duration(n) * p.Interval)
	if due.Sub(now) > p.Burst && p.Queue > 0 {
		// A grant that must wait for its turn carries one request: in a
		// backlog another turn is booked after it at once, so what it
		// left unsent could not be given back, and the budget would be
		// spent on requests never sent.
		n, due = 1, start.Add(p.Interval)
	}
	if turn := due.Add(-p.Burst); turn.After(now) {
		if turn.Sub(now) > p.Queue {
			return Grant{}, time.Time{}, &Refusal{RetryAt: turn}
		}
		g := Grant{Slot: -1, N: n, Start: turn, Expires: turn.Add(p.GrantLife)}
		if turn.Sub(now) <= nearTurns*p.Interval {
			// A near turn takes its slot in the same write: held from
			// now, it costs the company little of its concurrency and
			// saves seating it. The lease covers a turn that the
			// store finds up to GrantLife later than planned.
			if seated, refused := p.Seat(s, g, now); refused == nil {
				g, g.Start, g.Lease = seated, turn, now.Add(p.GrantLife+p.Lease)
			}
		}
		return g, due, nil
	}
	g, refused := p.Seat(s, Grant{Slot: -1, N: n, Expires: now.Add(p.GrantLife)}, now)
	if refused != nil {
		return Grant{}, time.Time{}, refused
	}
	return g, due, nil
}

// nearTurns bounds, in cells, how far ahead a booked turn takes its slot
// at once: few enough that slots held ahead leave the company's requests
// in flight theirs.
const nearTurns = 4

// Seat gives booked grant g the first free slot of s at now, or refuses
// while the realm rests or every slot is held.
func (p Policy) Seat(s Schedule, g Grant, now time.Time) (Grant, *Refusal) {
	if s.RestUntil.After(now) {
		return Grant{}, &Refusal{RetryAt: s.RestUntil, Resting: true}
	}
	slot, soonest := -1, time.Time{}
	for i := 0; i < p.Slots; i++ {
		lease, held := s.Slots[i]
		if !held || !lease.After(now) {
			slot = i
			break
		}
		if soonest.IsZero() || lease.Before(soonest) {
			soonest = lease
		}
	}
	if slot < 0 {
		return Grant{}, &Refusal{RetryAt: minTime(soonest, now.Add(p.Interval))}
	}
	g.Slot, g.Lease, g.Start = slot, now.Add(p.Lease), time.Time{}
	return g, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
