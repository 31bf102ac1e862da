package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table layout (template.yaml defines the same names).
const (
	StatusIndex = "status-index"
	ttlAttr     = "expires_at"
)

// DB is the slice of the DynamoDB client the store uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store is the DynamoDB implementation of every persistence interface the
// service's packages declare. It is safe for concurrent use.
type Store struct {
	db     DB
	table  string
	now    func() time.Time
	sealer Sealer // nil: secrets can be neither stored nor read
	// recent, schedules and marked remember what this process last read
	// or wrote of entities, companies' schedules and tenants' last sync,
	// to spare reads; copies of the Store share them.
	recent    *recentItems
	schedules *schedules
	marked    *marks
}

// New returns a Store on table. now may be nil (time.Now).
func New(db DB, table string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: writeDropsPrefetched{db}, table: table, now: now, recent: &recentItems{}, schedules: &schedules{}, marked: &marks{}}
}

func tenantPK(tenant string) string { return "T#" + tenant }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// TenantPK is the partition that holds a tenant's items, for the packages
// that keep items of their own in the table (outbound, customerimport).
func TenantPK(tenant string) string { return tenantPK(tenant) }

// Key is the primary key of the table's item pk/sk.
func Key(pk, sk string) map[string]types.AttributeValue { return key(pk, sk) }

// get loads one item into out; ErrNotFound when absent.
func (s *Store) get(ctx context.Context, pk, sk string, out any) error {
	if item, ok := takePrefetched(ctx, pk, sk); ok {
		if item == nil {
			return ErrNotFound
		}
		if err := attributevalue.UnmarshalMap(item, out); err != nil {
			return fmt.Errorf("decode %s %s: %w", pk, sk, err)
		}
		return nil
	}
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	if res.Item == nil {
		return ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", pk, sk, err)
	}
	return nil
}

// put writes item under cond (may be empty); a failed condition is ErrConflict.
func (s *Store) put(ctx context.Context, item any, cond string, values map[string]types.AttributeValue) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode item: %w", err)
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: av}
	if cond != "" {
		in.ConditionExpression = &cond
		in.ExpressionAttributeValues = values
	}
	_, err = s.db.PutItem(ctx, in)
	return conflict(err)
}

// conflict maps a failed condition to ErrConflict.
func conflict(err error) error {
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return ErrConflict
	}
	return err
}

// queryPrefix returns every item of pk whose sort key starts with prefix.
func (s *Store) queryPrefix(ctx context.Context, pk, prefix string, visit func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
			":p":  &types.AttributeValueMemberS{Value: prefix},
		},
		ConsistentRead: aws.Bool(true),
	}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("query %s %s: %w", pk, prefix, err)
		}
		for _, it := range res.Items {
			if err := visit(it); err != nil {
				return err
			}
		}
		if res.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func deleteInput(table, pk, sk string) *dynamodb.DeleteItemInput {
	return &dynamodb.DeleteItemInput{TableName: &table, Key: key(pk, sk)}
}

// setRemove is the UpdateExpression that sets set's clauses and removes
// remove's attributes.
func setRemove(set, remove []string) string {
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	return expr
}
