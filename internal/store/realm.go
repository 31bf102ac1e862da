package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/throttle"
)

// Realm items are keyed by QBO company, because Intuit's limits are per
// realm. One item per realm holds its whole schedule: the theoretical
// arrival time of the next request (`tat`, Unix ms), the rest after a 429
// (`rest_until`, Unix ms), the in-flight slots (`s0`…, lease ends in
// Unix ms) and the queue of deferred requests (realmqueue.go), so one
// conditional write (and a read, unless planned from this process's own
// last write) admits a grant.
func realmPK(realm string) string { return "R#" + realm }

const realmSK = "SCHEDULE"

// admitTries bounds the optimistic rounds of one Admit under contention.
const admitTries = 8

// scheduleItem is the stored schedule in Unix milliseconds.
type scheduleItem struct {
	tat, rest int64
	// returns is the end of the timeline that spaces the returns of
	// callers turned away (`rtat`, refuseInTurn).
	returns int64
	slots   map[int]int64
}

func (it scheduleItem) schedule() throttle.Schedule {
	s := throttle.Schedule{Slots: map[int]time.Time{}}
	if it.tat != 0 {
		s.TAT = time.UnixMilli(it.tat)
	}
	if it.rest != 0 {
		s.RestUntil = time.UnixMilli(it.rest)
	}
	for i, ms := range it.slots {
		s.Slots[i] = time.UnixMilli(ms)
	}
	return s
}

// Admit grants up to p.GrantSize requests and a free slot of realm's
// schedule at now, books a later turn within p.Queue (a grant without a
// slot, for Seat), or refuses with the time to ask again.
//
// The write is conditional on what the grant needs of the schedule (the
// rest over, the rate's room, its slot free), not on the values read, and
// moves the rate with DynamoDB's own arithmetic: concurrent admissions
// all go through while the budget allows, and one refused by a moved
// schedule plans again from the item the refusal returns, without a read.
func (s *Store) Admit(ctx context.Context, realm string, p throttle.Policy, n int, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	// Milliseconds are what the item holds: plan in them too.
	now = now.Truncate(time.Millisecond)
	cur, known := s.schedules.get(realm)
	for try := 0; try < admitTries; try++ {
		if !known {
			var err error
			if cur, err = s.schedule(ctx, realm); err != nil {
				return throttle.Grant{}, nil, err
			}
		}
		g, _, refused := p.Plan(cur.schedule(), n, now)
		if refused != nil && known && try == 0 && (refused.Resting || cur.slotsFull(p, now)) {
			// Only the stored schedule may refuse for slots or a rest:
			// another function may have freed them. A refusal for the
			// rate stands: it waits no longer than the gaps given back.
			known = false
			continue
		}
		if refused != nil && p.Queue > 0 && refused.RetryAt.Sub(now) > p.Queue {
			return s.refuseInTurn(ctx, realm, p, n, cur, refused)
		}
		if refused != nil {
			return throttle.Grant{}, refused, nil
		}
		if !g.Booked() {
			g.Slot = cur.freeSlot(p, now)
		}
		got, old, err := s.book(ctx, realm, p, cur, g, now)
		if errors.Is(err, ErrConflict) {
			cur, known = old, true // plan again from what refused it
			continue
		}
		if err != nil {
			return throttle.Grant{}, nil, err
		}
		return got, nil, nil
	}
	// Lost every round: the schedule is busy; a short pause is fair.
	return throttle.Grant{}, &throttle.Refusal{RetryAt: now.Add(p.Interval)}, nil
}

// refuseInTurn refuses a caller whose turn is beyond its wait with a
// time to come back that is its own: the schedule's second timeline,
// `rtat`, gives the callers it turned away their returns one grant
// apart. Without it every caller turned away in a backlog would come
// back at once, find the budget spent again and be turned away again,
// each round costing it its reads and writes anew; the number of rounds
// grew with the backlog. Returns are not grants: they spend nothing of
// the budget, they only space who asks for it next. A return that cannot
// be written leaves the plain refusal.
func (s *Store) refuseInTurn(ctx context.Context, realm string, p throttle.Policy, n int, cur scheduleItem, refused *throttle.Refusal) (throttle.Grant, *throttle.Refusal, error) {
	retry := refused.RetryAt.UnixMilli()
	inc := (time.Duration(max(1, min(n, p.GrantSize)))*p.Interval + time.Millisecond - 1).Milliseconds()
	for range 3 {
		expr, cond := "SET rtat = rtat + :inc", "rtat > :retry"
		vals := map[string]types.AttributeValue{":retry": num(retry), ":inc": num(inc)}
		if cur.returns <= retry {
			expr, cond = "SET rtat = :next", "attribute_not_exists(rtat) OR rtat <= :retry"
			vals = map[string]types.AttributeValue{":retry": num(retry), ":next": num(retry + inc)}
		}
		res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: key(realmPK(realm), realmSK),
			UpdateExpression: &expr, ConditionExpression: &cond, ExpressionAttributeValues: vals,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			it := s.schedules.keep(realm, res.Attributes)
			return throttle.Grant{}, &throttle.Refusal{RetryAt: time.UnixMilli(it.returns - inc)}, nil
		}
		if !errors.Is(conflict(err), ErrConflict) {
			break
		}
		cur = s.refusedBy(realm, err)
	}
	return throttle.Grant{}, refused, nil
}

// slotsFull reports whether every slot of p is held at now.
func (it scheduleItem) slotsFull(p throttle.Policy, now time.Time) bool {
	held := 0
	for i := 0; i < p.Slots; i++ {
		if it.slots[i] > now.UnixMilli() {
			held++
		}
	}
	return held == p.Slots
}

// freeSlot picks one of the slots free at now at random, so functions
// admitted at once rarely ask for the same one; -1 when none is.
func (it scheduleItem) freeSlot(p throttle.Policy, now time.Time) int {
	var free []int
	for i := 0; i < p.Slots; i++ {
		if it.slots[i] <= now.UnixMilli() {
			free = append(free, i)
		}
	}
	if len(free) == 0 {
		return -1
	}
	return free[rand.IntN(len(free))]
}

func (s *Store) schedule(ctx context.Context, realm string) (scheduleItem, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return scheduleItem{}, fmt.Errorf("read schedule of realm %s: %w", realm, err)
	}
	it, err := parseSchedule(res.Item)
	if err != nil {
		return scheduleItem{}, fmt.Errorf("schedule of realm %s: %w", realm, err)
	}
	s.schedules.put(realm, it)
	return it, nil
}

func parseSchedule(item map[string]types.AttributeValue) (scheduleItem, error) {
	it := scheduleItem{slots: map[int]int64{}}
	for name, av := range item {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return scheduleItem{}, fmt.Errorf("%s: %w", name, err)
		}
		switch {
		case name == "tat":
			it.tat = v
		case name == "rest_until":
			it.rest = v
		case name == "rtat":
			it.returns = v
		case len(name) > 1 && name[0] == 's':
			if i, err := strconv.Atoi(name[1:]); err == nil {
				it.slots[i] = v
			}
		}
	}
	return it, nil
}

// notResting is the condition that realm rests no longer at :now.
const notResting = "(attribute_not_exists(rest_until) OR rest_until <= :now)"

// book writes grant g, planned from cur at now: the rate moved by its
// requests and, unless g is booked for later, its slot. A refused write
// is ErrConflict with the item as it was (a conditional check's answer).
func (s *Store) book(ctx context.Context, realm string, p throttle.Policy, cur scheduleItem, g throttle.Grant, now time.Time) (throttle.Grant, scheduleItem, error) {
	ms := now.UnixMilli()
	// Rounded up, so whole milliseconds never admit more than the rate.
	inc := (time.Duration(g.N)*p.Interval + time.Millisecond - 1).Milliseconds()
	vals := map[string]types.AttributeValue{":now": num(ms),
		":exp": num(now.Add(p.Queue + p.Lease + time.Hour).Unix())}
	set, cond := []string{"expires_at = :exp"}, []string{notResting}
	if cur.tat > ms {
		// Busy: the grant's turn comes after the schedule's, moved
		// atomically so concurrent grants add up; room is what bounds it.
		room := p.Burst
		switch {
		case g.Booked():
			room += p.Queue
		case !g.Start.IsZero():
			room += p.GrantLife // a near turn: its slot's lease covers that
		}
		set = append(set, "tat = tat + :inc")
		cond = append(cond, "tat > :now AND tat <= :lim")
		vals[":inc"], vals[":lim"] = num(inc), num(ms+room.Milliseconds()-inc)
	} else {
		set = append(set, "tat = :due")
		cond = append(cond, "(attribute_not_exists(tat) OR tat <= :now)")
		vals[":due"] = num(ms + inc)
	}
	names := map[string]string{}
	if !g.Booked() {
		names["#slot"] = "s" + strconv.Itoa(g.Slot)
		set = append(set, "#slot = :lease")
		cond = append(cond, "(attribute_not_exists(#slot) OR #slot <= :now)")
		vals[":lease"] = num(g.Lease.UnixMilli())
	}
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression:                    aws.String("SET " + strings.Join(set, ", ")),
		ConditionExpression:                 aws.String(strings.Join(cond, " AND ")),
		ExpressionAttributeValues:           vals,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	res, err := s.db.UpdateItem(ctx, in)
	if err != nil {
		return throttle.Grant{}, s.refusedBy(realm, err), s.scheduleError(realm, "admit request", err)
	}
	it := s.schedules.keep(realm, res.Attributes)
	g.TAT = time.UnixMilli(it.tat)
	if g.Booked() || !g.Start.IsZero() {
		// The turn is the schedule's as moved, whoever moved it first.
		g.Start = time.UnixMilli(it.tat).Add(-p.Burst)
		if g.Start.Before(now) {
			g.Start = now
		}
		g.Expires = g.Start.Add(p.GrantLife)
	}
	return g, it, nil
}

// Seat gives booked grant g a free slot of realm's schedule at now, or
// refuses while the realm rests or every slot is held.
func (s *Store) Seat(ctx context.Context, realm string, p throttle.Policy, g throttle.Grant, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	now = now.Truncate(time.Millisecond)
	cur, known := s.schedules.get(realm)
	for try := 0; try < admitTries; try++ {
		if !known {
			var err error
			if cur, err = s.schedule(ctx, realm); err != nil {
				return throttle.Grant{}, nil, err
			}
		}
		seated, refused := p.Seat(cur.schedule(), g, now)
		if refused != nil && known && try == 0 {
			known = false // only the stored schedule may refuse
			continue
		}
		if refused != nil {
			return throttle.Grant{}, refused, nil
		}
		seated.Slot = cur.freeSlot(p, now)
		old, err := s.takeSlot(ctx, realm, p, seated, now)
		if errors.Is(err, ErrConflict) {
			cur, known = old, true // plan again from what refused it
			continue
		}
		if err != nil {
			return throttle.Grant{}, nil, err
		}
		return seated, nil, nil
	}
	return throttle.Grant{}, &throttle.Refusal{RetryAt: now.Add(p.Interval)}, nil
}

// takeSlot writes g's slot; refused (ErrConflict) it returns the
// schedule that refused it, as book does.
func (s *Store) takeSlot(ctx context.Context, realm string, p throttle.Policy, g throttle.Grant, now time.Time) (scheduleItem, error) {
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression:         aws.String("SET #slot = :lease, expires_at = :exp"),
		ConditionExpression:      aws.String(notResting + " AND (attribute_not_exists(#slot) OR #slot <= :now)"),
		ExpressionAttributeNames: map[string]string{"#slot": "s" + strconv.Itoa(g.Slot)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.UnixMilli()),
			":lease": num(g.Lease.UnixMilli()), ":exp": num(g.Lease.Add(time.Hour).Unix())},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		return s.refusedBy(realm, err), s.scheduleError(realm, "seat request", err)
	}
	return s.schedules.keep(realm, res.Attributes), nil
}

// refusedBy is the schedule a refused conditional write returned (empty
// when there was none), remembered as the latest known.
func (s *Store) refusedBy(realm string, err error) scheduleItem {
	var cf *types.ConditionalCheckFailedException
	if !errors.As(err, &cf) {
		s.schedules.drop(realm)
		return scheduleItem{}
	}
	return s.schedules.keep(realm, cf.Item)
}

// scheduleError is ErrConflict for a refused condition, else err with
// what was being done.
func (s *Store) scheduleError(realm, doing string, err error) error {
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return err
	}
	return fmt.Errorf("%s for realm %s: %w", doing, realm, err)
}

// Release frees g's slot if g still holds it, and gives refund back to
// the schedule if no grant was admitted after g's (the schedule still
// ends at g.TAT): one admitted since may hold a turn those requests would
// otherwise be counted in twice.
func (s *Store) Release(ctx context.Context, realm string, g throttle.Grant, refund time.Duration) error {
	if cur, known := s.schedules.get(realm); refund > 0 && (g.TAT.IsZero() || known && cur.tat != g.TAT.UnixMilli()) {
		refund = 0 // moved since: known without asking
	}
	for {
		expr, cond := "REMOVE #slot", "#slot = :lease"
		vals := map[string]types.AttributeValue{":lease": num(g.Lease.UnixMilli())}
		if refund > 0 {
			expr += " SET tat = tat - :refund"
			cond += " AND tat = :tat"
			vals[":refund"], vals[":tat"] = num(refund.Milliseconds()), num(g.TAT.UnixMilli())
		}
		res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: key(realmPK(realm), realmSK),
			UpdateExpression: &expr, ConditionExpression: &cond,
			ExpressionAttributeNames:            map[string]string{"#slot": "s" + strconv.Itoa(g.Slot)},
			ExpressionAttributeValues:           vals,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			s.schedules.keep(realm, res.Attributes)
			return nil
		}
		if !errors.Is(conflict(err), ErrConflict) {
			return fmt.Errorf("release slot of realm %s: %w", realm, err)
		}
		if old := s.refusedBy(realm, err); refund > 0 && old.slots[g.Slot] == g.Lease.UnixMilli() {
			refund = 0 // still ours, but the schedule moved on: free the slot only
			continue
		}
		return nil // the lease ended and the slot went to another grant
	}
}

// ThrottleRealm records that QBO throttled realm: nothing is admitted
// before until.
func (s *Store) ThrottleRealm(ctx context.Context, realm string, until time.Time) error {
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression: aws.String("SET rest_until = :until, expires_at = :exp"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": num(until.UnixMilli()), ":exp": num(until.Add(time.Hour).Unix()),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		s.schedules.drop(realm)
		return fmt.Errorf("throttle realm %s: %w", realm, err)
	}
	s.schedules.keep(realm, res.Attributes)
	return nil
}

// RealmThrottledUntil returns until which realm rests after a 429 (zero:
// it does not).
func (s *Store) RealmThrottledUntil(ctx context.Context, realm string) (time.Time, error) {
	cur, err := s.schedule(ctx, realm)
	if err != nil {
		return time.Time{}, err
	}
	if cur.rest > s.now().UnixMilli() {
		return time.UnixMilli(cur.rest), nil
	}
	return time.Time{}, nil
}

// schedules remembers the schedule item each of this process's writes
// left (their answer carries it), keyed by realm.
type schedules struct {
	mu    sync.Mutex
	items map[string]scheduleItem
}

func (c *schedules) get(realm string) (scheduleItem, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[realm]
	return it, ok
}

func (c *schedules) put(realm string, it scheduleItem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil || len(c.items) >= recentMax {
		c.items = map[string]scheduleItem{}
	}
	c.items[realm] = it
}

// keep remembers the item a write returned and returns it; one that
// cannot be read is forgotten, so the next admission reads it.
func (c *schedules) keep(realm string, item map[string]types.AttributeValue) scheduleItem {
	it, err := parseSchedule(item)
	if err != nil {
		c.drop(realm)
		return scheduleItem{slots: map[int]int64{}}
	}
	c.put(realm, it)
	return it
}

func (c *schedules) drop(realm string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, realm)
}
