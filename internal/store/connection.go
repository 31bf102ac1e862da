package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type connItem struct {
	PK               string    `dynamodbav:"pk"`
	SK               string    `dynamodbav:"sk"`
	RealmID          string    `dynamodbav:"realm_id"`
	AccessToken      string    `dynamodbav:"access_token"`
	RefreshToken     string    `dynamodbav:"refresh_token"`
	AccessExpiresAt  time.Time `dynamodbav:"access_expires_at"`
	RefreshExpiresAt time.Time `dynamodbav:"refresh_expires_at"`
	Status           string    `dynamodbav:"status"`
	ConnectedAt      time.Time `dynamodbav:"connected_at"`
	Rev              int64     `dynamodbav:"rev"`
}

// Connection loads the tenant's QBO connection; ErrNotFound if never connected.
func (s *Store) Connection(ctx context.Context, tenant string) (Connection, error) {
	var it connItem
	if err := s.get(ctx, tenantPK(tenant), "QBO", &it); err != nil {
		return Connection{}, err
	}
	return Connection{Tenant: tenant, RealmID: it.RealmID, AccessToken: it.AccessToken,
		RefreshToken: it.RefreshToken, AccessExpiresAt: it.AccessExpiresAt,
		RefreshExpiresAt: it.RefreshExpiresAt, Status: it.Status, ConnectedAt: it.ConnectedAt, Rev: it.Rev}, nil
}

// SaveConnection writes c if the stored connection still has revision c.Rev
// (0: none stored) and returns it with its new revision; ErrConflict when a
// concurrent refresh or reconnect won.
func (s *Store) SaveConnection(ctx context.Context, c Connection) (Connection, error) {
	prev := c.Rev
	c.Rev++
	it := connItem{PK: tenantPK(c.Tenant), SK: "QBO", RealmID: c.RealmID, AccessToken: c.AccessToken,
		RefreshToken: c.RefreshToken, AccessExpiresAt: c.AccessExpiresAt.UTC(),
		RefreshExpiresAt: c.RefreshExpiresAt.UTC(), Status: c.Status, ConnectedAt: c.ConnectedAt.UTC(), Rev: c.Rev}
	cond, vals := "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
	if prev > 0 {
		cond, vals = "rev = :prev", map[string]types.AttributeValue{":prev": num(prev)}
	}
	if err := s.put(ctx, it, cond, vals); err != nil {
		if errors.Is(err, ErrConflict) {
			return Connection{}, ErrConflict
		}
		return Connection{}, fmt.Errorf("save connection of %s: %w", c.Tenant, err)
	}
	return c, nil
}
