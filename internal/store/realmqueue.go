package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/throttle"
)

// queueTries bounds the rounds of one QueueRefused: a round is lost only
// when another function started a new queue at the same moment.
const queueTries = 4

// QueueRefused gives a request refused until retryAt its place in realm's
// queue of deferred requests (throttle.Queuer), so deferred syncs come
// back spaced at the schedule's rate instead of all at once. The queue is
// two attributes of the schedule item: when it starts (`defer_base`, Unix
// ms) and how many requests' places were given since (`defer_n`). Taking
// a place is one atomic ADD, free of conflicts however many functions
// defer at once; only a queue whose places are all past (or none yet) is
// started anew at retryAt, by a conditional write.
func (s *Store) QueueRefused(ctx context.Context, realm string, p throttle.Policy, retryAt time.Time, n int) (time.Time, error) {
	retryAt = retryAt.Truncate(time.Millisecond)
	n = max(n, 1)
	for range queueTries {
		base, taken, err := s.takePlace(ctx, realm, n)
		if err != nil {
			return retryAt, err
		}
		if base != 0 {
			place := time.UnixMilli(base).Add(time.Duration(taken-n) * p.Interval)
			if !place.Before(retryAt) {
				return place, nil
			}
		}
		started, err := s.startQueue(ctx, realm, base, retryAt, n)
		if err != nil {
			return retryAt, err
		}
		if started {
			return retryAt, nil
		}
	}
	return retryAt, nil
}

// takePlace counts n more places in realm's queue and returns its start
// and the places given, these included.
func (s *Store) takePlace(ctx context.Context, realm string, n int) (base int64, taken int, err error) {
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression:          aws.String("ADD defer_n :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(int64(n))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return 0, 0, fmt.Errorf("queue deferred request of realm %s: %w", realm, err)
	}
	s.schedules.keep(realm, res.Attributes)
	it, err := parseQueue(res.Attributes)
	if err != nil {
		return 0, 0, fmt.Errorf("queue of realm %s: %w", realm, err)
	}
	return it.base, it.taken, nil
}

// startQueue starts realm's queue anew at at, with n places given, if it
// still starts at old (0: it has no start); false when another function
// started it first.
func (s *Store) startQueue(ctx context.Context, realm string, old int64, at time.Time, n int) (bool, error) {
	cond := "attribute_not_exists(defer_base)"
	vals := map[string]types.AttributeValue{":at": num(at.UnixMilli()), ":n": num(int64(n))}
	if old != 0 {
		cond = "defer_base = :old"
		vals[":old"] = num(old)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), realmSK),
		UpdateExpression:          aws.String("SET defer_base = :at, defer_n = :n"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: vals,
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start queue of realm %s: %w", realm, err)
	}
	return true, nil
}

type queueItem struct {
	base  int64
	taken int
}

func parseQueue(item map[string]types.AttributeValue) (queueItem, error) {
	var q queueItem
	for name, av := range item {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok || name != "defer_base" && name != "defer_n" {
			continue
		}
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return queueItem{}, fmt.Errorf("%s: %w", name, err)
		}
		if name == "defer_base" {
			q.base = v
		} else {
			q.taken = int(v)
		}
	}
	return q, nil
}
