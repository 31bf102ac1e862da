package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Realm items are keyed by QBO company, because Intuit's limits are per
// realm: requests per minute and the back-off after a 429.
func realmPK(realm string) string { return "R#" + realm }

// TakeRequest counts one QBO request against realm's budget for the
// current minute. It returns false, without counting, when limit requests
// were already made this minute; retryAt is the next minute.
func (s *Store) TakeRequest(ctx context.Context, realm string, limit int) (ok bool, retryAt time.Time, err error) {
	now := s.now()
	minute := now.Truncate(time.Minute)
	next := minute.Add(time.Minute)
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), fmt.Sprintf("RATE#%d", minute.Unix())),
		UpdateExpression:    aws.String("ADD n :one SET expires_at = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(n) OR n < :limit"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":limit": num(int64(limit)), ":exp": num(next.Add(time.Hour).Unix()),
		},
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return false, next, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("count request for realm %s: %w", realm, err)
	}
	return true, time.Time{}, nil
}

type throttleItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Until     int64  `dynamodbav:"until"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// ThrottleRealm records that QBO throttled realm: no request goes out
// before until.
func (s *Store) ThrottleRealm(ctx context.Context, realm string, until time.Time) error {
	it := throttleItem{PK: realmPK(realm), SK: "THROTTLE", Until: until.Unix(), ExpiresAt: until.Add(time.Hour).Unix()}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("throttle realm %s: %w", realm, err)
	}
	return nil
}

// RealmThrottledUntil returns until which realm is backed off (zero: not).
func (s *Store) RealmThrottledUntil(ctx context.Context, realm string) (time.Time, error) {
	var it throttleItem
	err := s.get(ctx, realmPK(realm), "THROTTLE", &it)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if until := time.Unix(it.Until, 0); until.After(s.now()) {
		return until, nil
	}
	return time.Time{}, nil
}
