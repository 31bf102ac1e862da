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

	changed "github.com/qbosync/qbosync/internal/change"
)

// laneSK names the lane item of a message group (tenant#customer): one
// item per active group, removed by the table's TTL once expired.
func laneSK(group string) string { return "LANE#" + group }

// HoldLane returns the lane tenant's message group holds and keeps it
// held until until at least, in one request. ok is false when the group
// holds no lane now (never did, or its hold expired): ClaimLane gives it
// one. A hold already longer than until is kept as it is.
func (s *Store) HoldLane(ctx context.Context, tenant, group string, until time.Time) (changed.Lane, bool, error) {
	now := s.now()
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), laneSK(group)),
		UpdateExpression:    aws.String("SET expires_at = :until"),
		ConditionExpression: aws.String("expires_at > :now AND expires_at < :until"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   unixAttr(now),
			":until": unixAttr(until),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &cf):
		// Either no hold, an expired one, or one already long enough.
		lane, exp, found := laneItem(cf.Item)
		if !found || !exp.After(now) {
			return changed.LaneLive, false, nil
		}
		return lane, true, nil
	case err != nil:
		return changed.LaneLive, false, fmt.Errorf("hold lane of %s: %w", group, err)
	}
	lane, _, _ := laneItem(out.Attributes)
	return lane, true, nil
}

// ClaimLane gives tenant's message group lane until until, if it holds
// none now; false when another request holds one (claimed it first).
func (s *Store) ClaimLane(ctx context.Context, tenant, group string, lane changed.Lane, until time.Time) (bool, error) {
	item := key(tenantPK(tenant), laneSK(group))
	item["lane"] = &types.AttributeValueMemberS{Value: lane.String()}
	item["expires_at"] = unixAttr(until)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR expires_at <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": unixAttr(s.now())},
	})
	if errors.Is(conflict(err), ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim lane of %s: %w", group, err)
	}
	return true, nil
}

func unixAttr(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// laneItem reads a lane item's lane and expiry; found is false for none.
func laneItem(item map[string]types.AttributeValue) (changed.Lane, time.Time, bool) {
	n, ok := numAttr(item, ttlAttr)
	if !ok {
		return changed.LaneLive, time.Time{}, false
	}
	lane := changed.LaneLive
	if l, ok := item["lane"].(*types.AttributeValueMemberS); ok && l.Value == changed.LaneBackfill.String() {
		lane = changed.LaneBackfill
	}
	return lane, time.Unix(n, 0), true
}
