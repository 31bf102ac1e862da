package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	changed "github.com/qbosync/qbosync/internal/change"
)

// A company's bunches are the syncs its request schedule turned away,
// seated in turns of the batch schedule so that they come back together.
// One item (`BUNCHES`) holds the turn being filled (`bt`, Unix ms) and the
// seats taken in it (`bn`); each seat is an item of its own under the
// turn, holding the message to sync.
const bunchesSK = "BUNCHES"

func bunchPrefix(turn int64) string { return "BUNCH#" + strconv.FormatInt(turn, 10) + "#" }

// bunchMemory is how long a seat is kept after its turn: long enough for
// a turn whose trigger was retried.
const bunchMemory = time.Hour

// bunchTries bounds the optimistic rounds of one BookBunch.
const bunchTries = 6

// BookBunch seats m in the first of realm's turns, spacing apart, that
// starts no earlier than earliest and has fewer than size seats taken.
// It returns the turn and whether m is its first seat (the one that opens
// it, and whose message carries the turn).
func (s *Store) BookBunch(ctx context.Context, realm string, m changed.Message, size int, spacing time.Duration, earliest time.Time) (time.Time, bool, error) {
	from := earliest.UnixMilli()
	var old map[string]types.AttributeValue
	for range bunchTries {
		expr, cond, vals, opens := bunchSeat(old, from, int64(size), spacing.Milliseconds())
		res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: key(realmPK(realm), bunchesSK),
			UpdateExpression: &expr, ConditionExpression: &cond, ExpressionAttributeValues: vals,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err != nil {
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				return time.Time{}, false, fmt.Errorf("seat %s/%s in a bunch of realm %s: %w", m.Kind, m.ID, realm, err)
			}
			old = ccf.Item
			if old == nil {
				old = map[string]types.AttributeValue{}
			}
			continue
		}
		turn, _ := numAttr(res.Attributes, "bt")
		if err := s.putSeat(ctx, realm, turn, m); err != nil {
			return time.Time{}, false, err
		}
		return time.UnixMilli(turn), opens, nil
	}
	return time.Time{}, false, fmt.Errorf("seat %s/%s in a bunch of realm %s: %w", m.Kind, m.ID, realm, ErrConflict)
}

// bunchSeat is the write that takes a seat, given the item as last seen
// (nil: not read; then the turn being filled is assumed to have room).
func bunchSeat(old map[string]types.AttributeValue, earliest, size, spacing int64) (expr, cond string, vals map[string]types.AttributeValue, opens bool) {
	bt, seen := numAttr(old, "bt")
	bn, _ := numAttr(old, "bn")
	switch {
	case old == nil || (seen && bt >= earliest && bn < size):
		return "SET bn = bn + :one", "bt >= :earliest AND bn < :size",
			map[string]types.AttributeValue{":one": num(1), ":earliest": num(earliest), ":size": num(size)}, false
	case seen && bt >= earliest:
		// The turn is full: open the next one.
		return "SET bt = :next, bn = :one", "bt = :old",
			map[string]types.AttributeValue{":one": num(1), ":next": num(bt + spacing), ":old": num(bt)}, true
	case seen:
		// The turn being filled is too near or past: open one at the
		// earliest, never closer than spacing to it.
		return "SET bt = :next, bn = :one", "bt = :old",
			map[string]types.AttributeValue{":one": num(1), ":next": num(max(earliest, bt+spacing)), ":old": num(bt)}, true
	default:
		return "SET bt = :next, bn = :one", "attribute_not_exists(bt)",
			map[string]types.AttributeValue{":one": num(1), ":next": num(earliest)}, true
	}
}

func numAttr(item map[string]types.AttributeValue, name string) (int64, bool) {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	return v, err == nil
}

func seatSK(turn int64, m changed.Message) string {
	return bunchPrefix(turn) + m.Tenant + "#" + string(m.Kind) + "#" + m.ID
}

func (s *Store) putSeat(ctx context.Context, realm string, turn int64, m changed.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode seat of %s/%s: %w", m.Kind, m.ID, err)
	}
	item := key(realmPK(realm), seatSK(turn, m))
	item["msg"] = str(string(body))
	item[ttlAttr] = num(time.UnixMilli(turn).Add(bunchMemory).Unix())
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("seat %s/%s in bunch %d of realm %s: %w", m.Kind, m.ID, turn, realm, err)
	}
	return nil
}

// Bunch returns the messages seated in realm's turn.
func (s *Store) Bunch(ctx context.Context, realm string, turn time.Time) ([]changed.Message, error) {
	cond := "pk = :pk AND begins_with(sk, :prefix)"
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: &cond, ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(realmPK(realm)), ":prefix": str(bunchPrefix(turn.UnixMilli())),
		},
	}
	var out []changed.Message
	for p := dynamodb.NewQueryPaginator(s.db, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read bunch %d of realm %s: %w", turn.UnixMilli(), realm, err)
		}
		for _, it := range page.Items {
			body, _ := it["msg"].(*types.AttributeValueMemberS)
			if body == nil {
				continue
			}
			var m changed.Message
			if err := json.Unmarshal([]byte(body.Value), &m); err != nil {
				return nil, fmt.Errorf("decode seat of bunch %d of realm %s: %w", turn.UnixMilli(), realm, err)
			}
			out = append(out, m)
		}
	}
	return out, nil
}
