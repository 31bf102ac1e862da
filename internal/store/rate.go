package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// rateSK names a tenant's event count of the minute starting at minute.
func rateSK(minute time.Time) string { return "RATE#" + strconv.FormatInt(minute.Unix(), 10) }

// CountEvent adds one to tenant's count of events posted in the minute
// that holds at and returns the new count. The item expires two minutes
// after its minute ends; only the webhook writes it, one ADD per event.
func (s *Store) CountEvent(ctx context.Context, tenant string, at time.Time) (int64, error) {
	minute := at.Truncate(time.Minute)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), rateSK(minute)),
		UpdateExpression: aws.String("ADD n :one SET expires_at = :exp"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(minute.Add(3*time.Minute).Unix(), 10)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("count event of %s: %w", tenant, err)
	}
	v, ok := out.Attributes["n"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("count event of %s: no count returned", tenant)
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("count event of %s: %w", tenant, err)
	}
	return n, nil
}
