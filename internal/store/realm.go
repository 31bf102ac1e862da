package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	slots     map[int]int64
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
// schedule at now, or refuses with the time to ask again.
func (s *Store) Admit(ctx context.Context, realm string, p throttle.Policy, n int, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	for try := 0; try < admitTries; try++ {
		// The first round plans from what this process last wrote of the
		// schedule, if anything: the claim is conditional on every value
		// planned from, so a schedule another function moved meanwhile
		// only costs the refused claim and a read.
		cur, known := s.schedules.get(realm)
		if try > 0 || !known {
			var err error
			if cur, err = s.schedule(ctx, realm); err != nil {
				return throttle.Grant{}, nil, err
			}
		}
		// Milliseconds are what the item holds: plan in them too.
		g, tat, refused := p.Plan(cur.schedule(), n, now.Truncate(time.Millisecond))
		if refused != nil && try == 0 && known && (refused.Resting || cur.slotsFull(p, now)) {
			// Only the stored schedule may refuse for slots or a rest:
			// another function may have freed them. A refusal for the
			// rate stands: it waits no longer than the gaps given back.
			continue
		}
		if refused != nil {
			return throttle.Grant{}, refused, nil
		}
		err := s.claim(ctx, realm, g, tat.UnixMilli(), claimCond{oldTAT: cur.tat, oldSlot: cur.slots[g.Slot], oldRest: cur.rest})
		if errors.Is(err, ErrConflict) {
			s.schedules.drop(realm)
			continue // another function took a grant meanwhile: plan again
		}
		if err != nil {
			return throttle.Grant{}, nil, err
		}
		return g, nil, nil
	}
	// Lost every round: the schedule is busy; a short pause is fair.
	return throttle.Grant{}, &throttle.Refusal{RetryAt: now.Add(p.Interval)}, nil
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

type claimCond struct {
	oldTAT  int64 // 0: the schedule has no tat yet
	oldSlot int64 // 0: the slot is unset
	oldRest int64 // 0: the schedule has no rest
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
		case len(name) > 1 && name[0] == 's':
			if i, err := strconv.Atoi(name[1:]); err == nil {
				it.slots[i] = v
			}
		}
	}
	return it, nil
}

// claim writes the planned grant if the schedule is still as read.
func (s *Store) claim(ctx context.Context, realm string, g throttle.Grant, tat int64, c claimCond) error {
	slot := "s" + strconv.Itoa(g.Slot)
	cond := "attribute_not_exists(tat)"
	vals := map[string]types.AttributeValue{
		":tat": num(tat), ":lease": num(g.Lease.UnixMilli()),
		":exp": num(g.Lease.Add(time.Hour).Unix()),
	}
	if c.oldTAT != 0 {
		cond = "tat = :oldtat"
		vals[":oldtat"] = num(c.oldTAT)
	}
	if c.oldSlot == 0 {
		cond += " AND attribute_not_exists(#slot)"
	} else {
		cond += " AND #slot = :oldslot"
		vals[":oldslot"] = num(c.oldSlot)
	}
	if c.oldRest == 0 {
		cond += " AND attribute_not_exists(rest_until)"
	} else {
		cond += " AND rest_until = :oldrest"
		vals[":oldrest"] = num(c.oldRest)
	}
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression:          aws.String("SET tat = :tat, #slot = :lease, expires_at = :exp"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#slot": slot},
		ExpressionAttributeValues: vals,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("admit request for realm %s: %w", realm, err)
	}
	if err == nil {
		s.schedules.keep(realm, res.Attributes)
	}
	return err
}

// Release frees g's slot if g still holds it, and gives refund back to
// the schedule.
func (s *Store) Release(ctx context.Context, realm string, g throttle.Grant, refund time.Duration) error {
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression:          aws.String("REMOVE #slot SET tat = tat - :refund"),
		ConditionExpression:       aws.String("#slot = :lease"),
		ExpressionAttributeNames:  map[string]string{"#slot": "s" + strconv.Itoa(g.Slot)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":lease": num(g.Lease.UnixMilli()), ":refund": num(refund.Milliseconds())},
		ReturnValues:              types.ReturnValueAllNew,
	})
	err = conflict(err)
	switch {
	case errors.Is(err, ErrConflict):
		s.schedules.drop(realm)
	case err != nil:
		return fmt.Errorf("release slot of realm %s: %w", realm, err)
	default:
		s.schedules.keep(realm, res.Attributes)
	}
	return nil
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

// keep remembers the item a write returned; one that cannot be read is
// forgotten, so the next admission reads it.
func (c *schedules) keep(realm string, item map[string]types.AttributeValue) {
	it, err := parseSchedule(item)
	if err != nil {
		c.drop(realm)
		return
	}
	c.put(realm, it)
}

func (c *schedules) drop(realm string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, realm)
}
