package customerimport

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/store"
)

const (
	candidatePrefix = "QC#"
	stateSK         = "QCIMPORT"
)

type candidateItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	Candidate
}

func (im *Importer) keep(ctx context.Context, tenant string, c Candidate) error {
	av, err := attributevalue.MarshalMap(candidateItem{PK: store.TenantPK(tenant), SK: candidatePrefix + c.QBOID, Candidate: c})
	if err != nil {
		return fmt.Errorf("encode QuickBooks customer %s: %w", c.QBOID, err)
	}
	if _, err := im.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &im.Table, Item: av}); err != nil {
		return fmt.Errorf("keep QuickBooks customer %s of %s: %w", c.QBOID, tenant, err)
	}
	return nil
}

// Forget drops a kept customer: it was linked to a billing customer.
func (im *Importer) Forget(ctx context.Context, tenant, qboID string) error {
	_, err := im.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &im.Table, Key: store.Key(store.TenantPK(tenant), candidatePrefix+qboID)})
	if err != nil {
		return fmt.Errorf("forget QuickBooks customer %s of %s: %w", qboID, tenant, err)
	}
	return nil
}

// kept maps each kept customer's QuickBooks id to its company.
func (im *Importer) kept(ctx context.Context, tenant string) (map[string]string, error) {
	out := map[string]string{}
	cursor := ""
	for {
		page, next, err := im.List(ctx, tenant, 500, cursor)
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			out[c.QBOID] = c.RealmID
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// ErrBadCursor: a cursor this list did not produce (store.ErrBadCursor).
var ErrBadCursor = store.ErrBadCursor

// List returns a page of the kept customers, by QuickBooks id, and the
// cursor of the next page ("" after the last).
func (im *Importer) List(ctx context.Context, tenant string, limit int, cursor string) ([]Candidate, string, error) {
	in := &dynamodb.QueryInput{
		TableName:              &im.Table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: store.TenantPK(tenant)}, ":p": &types.AttributeValueMemberS{Value: candidatePrefix},
		},
		Limit: aws.Int32(int32(max(1, min(limit, 500)))), ConsistentRead: aws.Bool(true),
	}
	if cursor != "" {
		start, err := store.DecodeCursor(cursor, store.CursorScope{PK: store.TenantPK(tenant), SKPrefix: candidatePrefix})
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	res, err := im.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list QuickBooks customers of %s: %w", tenant, err)
	}
	out := make([]Candidate, 0, len(res.Items))
	for _, av := range res.Items {
		var it candidateItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, "", fmt.Errorf("decode QuickBooks customer: %w", err)
		}
		out = append(out, it.Candidate)
	}
	next, err := store.EncodeCursor(res.LastEvaluatedKey)
	return out, next, err
}

// State is the tenant's last import.
type State struct {
	RealmID  string    `dynamodbav:"realm" json:"realm_id"`
	At       time.Time `dynamodbav:"at" json:"imported_at"`
	Read     int       `dynamodbav:"read" json:"read"`
	Unlinked int       `dynamodbav:"unlinked" json:"unlinked"`
	Found    int       `dynamodbav:"found" json:"found"`
}

type stateItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	State
}

func (im *Importer) saveState(ctx context.Context, tenant, realm string, r Result) error {
	av, err := attributevalue.MarshalMap(stateItem{PK: store.TenantPK(tenant), SK: stateSK,
		State: State{RealmID: realm, At: r.At, Read: r.Read, Unlinked: r.Unlinked, Found: r.Found}})
	if err != nil {
		return fmt.Errorf("encode import state: %w", err)
	}
	if _, err := im.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &im.Table, Item: av}); err != nil {
		return fmt.Errorf("save import state of %s: %w", tenant, err)
	}
	return nil
}

// LastImport returns the tenant's last import; ok is false before the first.
func (im *Importer) LastImport(ctx context.Context, tenant string) (State, bool, error) {
	res, err := im.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &im.Table, Key: store.Key(store.TenantPK(tenant), stateSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return State{}, false, fmt.Errorf("read import state of %s: %w", tenant, err)
	}
	if res.Item == nil {
		return State{}, false, nil
	}
	var it stateItem
	if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
		return State{}, false, fmt.Errorf("decode import state of %s: %w", tenant, err)
	}
	return it.State, true, nil
}
