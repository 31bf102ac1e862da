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

// Purposes the connection's tokens are sealed under: a sealed access token
// never opens as a refresh token, nor as another tenant's.
const (
	purposeAccess  = "qbo-access-token"
	purposeRefresh = "qbo-refresh-token"
)

// connItem holds only sealed tokens. lease_owner / lease_until are written
// by AcquireRefreshLease alone; SaveConnection's put drops them, so saving
// the refreshed tokens also releases the lease.
type connItem struct {
	PK                   string    `dynamodbav:"pk"`
	SK                   string    `dynamodbav:"sk"`
	RealmID              string    `dynamodbav:"realm_id"`
	AccessSealed         []byte    `dynamodbav:"access_token_sealed,omitempty"`
	RefreshSealed        []byte    `dynamodbav:"refresh_token_sealed,omitempty"`
	AccessExpiresAt      time.Time `dynamodbav:"access_expires_at"`
	RefreshExpiresAt     time.Time `dynamodbav:"refresh_expires_at"`
	RefreshHardExpiresAt time.Time `dynamodbav:"refresh_hard_expires_at"`
	Status               string    `dynamodbav:"status"`
	ConnectedAt          time.Time `dynamodbav:"connected_at"`
	DisconnectedAt       time.Time `dynamodbav:"disconnected_at"`
	Warning              *Warning  `dynamodbav:"warning,omitempty"`
	Relatch              bool      `dynamodbav:"relatch,omitempty"`
	LinksForgottenAt     time.Time `dynamodbav:"links_forgotten_at"`
	Rev                  int64     `dynamodbav:"rev"`
}

func (it connItem) connection(tenant string) Connection {
	return Connection{Tenant: tenant, RealmID: it.RealmID, AccessExpiresAt: it.AccessExpiresAt,
		RefreshExpiresAt: it.RefreshExpiresAt, RefreshHardExpiresAt: it.RefreshHardExpiresAt,
		Status: it.Status, ConnectedAt: it.ConnectedAt, DisconnectedAt: it.DisconnectedAt,
		Warning: it.Warning, Relatch: it.Relatch, LinksForgottenAt: it.LinksForgottenAt, Rev: it.Rev}
}

// Connection loads the tenant's QBO connection with its tokens opened;
// ErrNotFound if never connected.
func (s *Store) Connection(ctx context.Context, tenant string) (Connection, error) {
	var it connItem
	if err := s.get(ctx, tenantPK(tenant), "QBO", &it); err != nil {
		return Connection{}, err
	}
	c := it.connection(tenant)
	var err error
	if c.AccessToken, err = s.open(ctx, tenant, purposeAccess, it.AccessSealed); err != nil {
		return Connection{}, err
	}
	if c.RefreshToken, err = s.open(ctx, tenant, purposeRefresh, it.RefreshSealed); err != nil {
		return Connection{}, err
	}
	return c, nil
}

// ConnectionStatus loads the tenant's connection without its tokens (they
// stay sealed): realm, status, expiries, warning. For the admin API and the
// scheduler. ErrNotFound if never connected.
func (s *Store) ConnectionStatus(ctx context.Context, tenant string) (Connection, error) {
	var it connItem
	if err := s.get(ctx, tenantPK(tenant), "QBO", &it); err != nil {
		return Connection{}, err
	}
	return it.connection(tenant), nil
}

// SaveConnection writes c, its tokens sealed, if the stored connection
// still has revision c.Rev (0: none stored) and returns it with its new
// revision; ErrConflict when a concurrent refresh or reconnect won.
func (s *Store) SaveConnection(ctx context.Context, c Connection) (Connection, error) {
	prev := c.Rev
	c.Rev++
	it := connItem{PK: tenantPK(c.Tenant), SK: "QBO", RealmID: c.RealmID,
		AccessExpiresAt: c.AccessExpiresAt.UTC(), RefreshExpiresAt: c.RefreshExpiresAt.UTC(),
		RefreshHardExpiresAt: c.RefreshHardExpiresAt.UTC(), Status: c.Status,
		ConnectedAt: c.ConnectedAt.UTC(), DisconnectedAt: c.DisconnectedAt.UTC(),
		Warning: c.Warning, Relatch: c.Relatch, LinksForgottenAt: c.LinksForgottenAt.UTC(), Rev: c.Rev}
	var err error
	if it.AccessSealed, err = s.seal(ctx, c.Tenant, purposeAccess, c.AccessToken); err != nil {
		return Connection{}, err
	}
	if it.RefreshSealed, err = s.seal(ctx, c.Tenant, purposeRefresh, c.RefreshToken); err != nil {
		return Connection{}, err
	}
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

// AcquireRefreshLease makes owner the tenant's only token refresher until
// ttl from now, unless another owner holds an unexpired lease (false).
// The lease lives on the connection item: saving the refreshed tokens
// releases it, and a refresher that dies only blocks the others for ttl.
func (s *Store) AcquireRefreshLease(ctx context.Context, tenant, owner string, ttl time.Duration) (bool, error) {
	now := s.now()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "QBO"),
		UpdateExpression:    aws.String("SET lease_owner = :o, lease_until = :u"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":o": str(owner), ":u": num(now.Add(ttl).UnixMilli()), ":now": num(now.UnixMilli()),
		},
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire refresh lease of %s: %w", tenant, err)
	}
	return true, nil
}

// ReleaseRefreshLease ends owner's lease early (a refresh that failed
// without saving); a lease already taken over is left alone.
func (s *Store) ReleaseRefreshLease(ctx context.Context, tenant, owner string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "QBO"),
		UpdateExpression:          aws.String("REMOVE lease_owner, lease_until"),
		ConditionExpression:       aws.String("lease_owner = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": str(owner)},
	})
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("release refresh lease of %s: %w", tenant, err)
	}
	return nil
}

// SetConnectionWarning sets (nil: clears) the tenant-level warning on the
// connection without touching tokens or revision, so it never makes a
// concurrent refresh lose its conditional write. ErrNotFound if never connected.
func (s *Store) SetConnectionWarning(ctx context.Context, tenant string, w *Warning) error {
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "QBO"),
		UpdateExpression:    aws.String("REMOVE warning"),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	}
	if w != nil {
		av, err := marshal(w)
		if err != nil {
			return err
		}
		in.UpdateExpression = aws.String("SET warning = :w")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":w": av}
	}
	_, err := s.db.UpdateItem(ctx, in)
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set connection warning of %s: %w", tenant, err)
	}
	return nil
}
