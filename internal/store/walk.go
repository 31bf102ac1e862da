package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// walkPage is how many entities one page of a walk holds in memory.
const walkPage = 200

// WalkStatus calls fn for each of a tenant's entities in status st, page
// by page through the status index, reading only the attributes a
// requeue needs (never the snapshot), so memory stays bounded however
// large the backlog. The entities' Data is empty.
func (s *Store) WalkStatus(ctx context.Context, tenant string, st Status, fn func(EntityState) error) error {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(StatusIndex), Limit: aws.Int32(walkPage),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(statusPK(tenant, st))},
		ProjectionExpression:      aws.String("pk, sk, kind, id, customer_id, version, #status, status_version, warning, waiting_on, attempts, updated_at"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
	}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("walk %s entities of %s: %w", st, tenant, err)
		}
		for _, av := range res.Items {
			var it entityItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return fmt.Errorf("decode entity: %w", err)
			}
			if err := fn(it.state(tenant)); err != nil {
				return err
			}
		}
		if res.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
