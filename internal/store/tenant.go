package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tenantsPK is the registry partition the hourly scheduler walks.
const tenantsPK = "TENANTS"

type tenantItem struct {
	PK             string    `dynamodbav:"pk"`
	SK             string    `dynamodbav:"sk"`
	ID             string    `dynamodbav:"id"`
	Name           string    `dynamodbav:"name"`
	WebhookSecrets []string  `dynamodbav:"webhook_secrets"`
	Settings       Settings  `dynamodbav:"settings"`
	LastSyncAt     time.Time `dynamodbav:"last_sync_at,unixtime"`
	CreatedAt      time.Time `dynamodbav:"created_at,unixtime"`
}

type registryItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	ID string `dynamodbav:"id"`
}

// CreateTenant stores a new tenant and registers it; ErrConflict if it exists.
func (s *Store) CreateTenant(ctx context.Context, t Tenant) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	ti, err := attributevalue.MarshalMap(tenantItem{
		PK: tenantPK(t.ID), SK: "TENANT", ID: t.ID, Name: t.Name,
		WebhookSecrets: t.WebhookSecrets, Settings: t.Settings, CreatedAt: t.CreatedAt,
	})
	if err != nil {
		return fmt.Errorf("encode tenant: %w", err)
	}
	ri, err := attributevalue.MarshalMap(registryItem{PK: tenantsPK, SK: "T#" + t.ID, ID: t.ID})
	if err != nil {
		return fmt.Errorf("encode tenant registry: %w", err)
	}
	notExists := aws.String("attribute_not_exists(pk)")
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: ti, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: &s.table, Item: ri}},
	}})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create tenant %s: %w", t.ID, err)
	}
	return nil
}

// Tenant loads a tenant; ErrNotFound for an unknown one.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	var it tenantItem
	if err := s.get(ctx, tenantPK(id), "TENANT", &it); err != nil {
		return Tenant{}, err
	}
	return Tenant{ID: it.ID, Name: it.Name, WebhookSecrets: it.WebhookSecrets,
		Settings: it.Settings, LastSyncAt: it.LastSyncAt, CreatedAt: it.CreatedAt}, nil
}

// WebhookSecrets returns the tenant's active webhook secrets (one, or two
// during a rotation); ErrNotFound for an unknown tenant.
func (s *Store) WebhookSecrets(ctx context.Context, tenant string) ([][]byte, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(t.WebhookSecrets))
	for i, sec := range t.WebhookSecrets {
		out[i] = []byte(sec)
	}
	return out, nil
}

// SaveSettings replaces the tenant's settings.
func (s *Store) SaveSettings(ctx context.Context, tenant string, st Settings) error {
	av, err := attributevalue.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "TENANT"),
		UpdateExpression:          aws.String("SET settings = :s"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": av},
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("save settings of %s: %w", tenant, err)
	}
	return nil
}

// MarkSynced records the time of the tenant's last successful sync.
func (s *Store) MarkSynced(ctx context.Context, tenant string, at time.Time) error {
	ts := num(at.Unix())
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "TENANT"),
		UpdateExpression:          aws.String("SET last_sync_at = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(last_sync_at) OR last_sync_at < :t)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": ts},
	})
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("mark %s synced: %w", tenant, err)
	}
	return nil
}

// TenantIDs lists every tenant id.
func (s *Store) TenantIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.queryPrefix(ctx, tenantsPK, "T#", func(it map[string]types.AttributeValue) error {
		var r registryItem
		if err := attributevalue.UnmarshalMap(it, &r); err != nil {
			return err
		}
		ids = append(ids, r.ID)
		return nil
	})
	return ids, err
}
