package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tenantsPK is the registry partition the hourly scheduler walks.
const tenantsPK = "TENANTS"

type tenantItem struct {
	PK       string       `dynamodbav:"pk"`
	SK       string       `dynamodbav:"sk"`
	ID       string       `dynamodbav:"id"`
	Name     string       `dynamodbav:"name"`
	Secrets  []secretItem `dynamodbav:"secrets"`
	Settings Settings     `dynamodbav:"settings"`
	// SettingsRev counts saves of Settings, for conditional writes.
	SettingsRev int64     `dynamodbav:"settings_rev"`
	LastSyncAt  time.Time `dynamodbav:"last_sync_at,unixtime"`
	CreatedAt   time.Time `dynamodbav:"created_at,unixtime"`
}

type registryItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name,omitempty"`
	CreatedAt time.Time `dynamodbav:"created_at,unixtime"`
}

// CreateTenant stores a new tenant and registers it; ErrConflict if it
// exists. t.WebhookSecrets (at most MaxWebhookSecrets) are sealed.
func (s *Store) CreateTenant(ctx context.Context, t Tenant) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	if len(t.WebhookSecrets) > MaxWebhookSecrets {
		return fmt.Errorf("create tenant %s: %d webhook secrets, at most %d", t.ID, len(t.WebhookSecrets), MaxWebhookSecrets)
	}
	secrets := make([]secretItem, 0, len(t.WebhookSecrets))
	for _, v := range t.WebhookSecrets {
		it, err := s.newSecret(ctx, t.ID, v)
		if err != nil {
			return err
		}
		secrets = append(secrets, it)
	}
	ti, err := attributevalue.MarshalMap(tenantItem{
		PK: tenantPK(t.ID), SK: "TENANT", ID: t.ID, Name: t.Name,
		Secrets: secrets, Settings: t.Settings, CreatedAt: t.CreatedAt,
	})
	if err != nil {
		return fmt.Errorf("encode tenant: %w", err)
	}
	ri, err := attributevalue.MarshalMap(registryItem{PK: tenantsPK, SK: "T#" + t.ID, ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt})
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

// Tenant loads a tenant; ErrNotFound for an unknown one. Webhook secrets
// are described (Secrets), never opened: WebhookSecrets is left empty.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	var it tenantItem
	if err := s.get(ctx, tenantPK(id), "TENANT", &it); err != nil {
		return Tenant{}, err
	}
	t := Tenant{ID: it.ID, Name: it.Name, Settings: it.Settings, SettingsRev: it.SettingsRev, LastSyncAt: it.LastSyncAt, CreatedAt: it.CreatedAt}
	for _, sec := range it.Secrets {
		t.Secrets = append(t.Secrets, sec.info())
	}
	return t, nil
}

// SaveSettings replaces the tenant's settings if they are still at
// revision rev (Tenant.SettingsRev, as read); ErrConflict when someone
// saved them meanwhile: re-read, merge and save again, never overwrite.
func (s *Store) SaveSettings(ctx context.Context, tenant string, st Settings, rev int64) error {
	av, err := attributevalue.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "TENANT"),
		UpdateExpression:          aws.String("SET settings = :s, settings_rev = :next"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (settings_rev = :rev OR attribute_not_exists(settings_rev) AND :rev = :zero)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": av, ":rev": num(rev), ":next": num(rev + 1), ":zero": num(0)},
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save settings of %s: %w", tenant, err)
	}
	return nil
}

// MarkSynced records the time of the tenant's last successful sync.
func (s *Store) MarkSynced(ctx context.Context, tenant string, at time.Time) error {
	// The stored time is in whole seconds and only ever moves forward:
	// a second this process already wrote would be refused anyway.
	if s.marked.reached(tenant, at.Unix()) {
		return nil
	}
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
	s.marked.reach(tenant, at.Unix())
	return nil
}

// TenantIDs lists every tenant id.
func (s *Store) TenantIDs(ctx context.Context) ([]string, error) {
	ts, err := s.Tenants(ctx)
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids, err
}

// TenantEntry is a tenant as the registry lists it.
type TenantEntry struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Tenants lists every tenant from the registry, in id order.
func (s *Store) Tenants(ctx context.Context) ([]TenantEntry, error) {
	var out []TenantEntry
	err := s.queryPrefix(ctx, tenantsPK, "T#", func(it map[string]types.AttributeValue) error {
		var r registryItem
		if err := attributevalue.UnmarshalMap(it, &r); err != nil {
			return err
		}
		out = append(out, TenantEntry{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt})
		return nil
	})
	return out, err
}

// marks remembers the last sync second this process wrote per tenant.
type marks struct {
	mu   sync.Mutex
	last map[string]int64
}

// reached reports whether the stored time is known to be sec or later.
func (m *marks) reached(tenant string, sec int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last[tenant] >= sec
}

// reach remembers that the stored time is at least sec.
func (m *marks) reach(tenant string, sec int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil || len(m.last) >= recentMax {
		m.last = map[string]int64{}
	}
	m.last[tenant] = max(m.last[tenant], sec)
}
