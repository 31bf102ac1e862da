package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrStateUsed: an OAuth state already completed (or began completing) a
// connect.
var ErrStateUsed = errors.New("state already used")

type stateItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// ConsumeState records the use of the OAuth state with nonce, once: a
// second use, even concurrent, gets ErrStateUsed. The record outlives
// the state's own expiry, after which the signature check refuses it.
func (s *Store) ConsumeState(ctx context.Context, tenant, nonce string, expires time.Time) error {
	err := s.put(ctx, stateItem{PK: tenantPK(tenant), SK: "ST#" + nonce, ExpiresAt: expires.Add(time.Hour).Unix()},
		"attribute_not_exists(pk)", nil)
	if errors.Is(err, ErrConflict) {
		return ErrStateUsed
	}
	if err != nil {
		return fmt.Errorf("consume state of %s: %w", tenant, err)
	}
	return nil
}

// ownerItem names the one tenant that syncs to a company, and the tenants
// an operator allowed to share it.
type ownerItem struct {
	PK      string   `dynamodbav:"pk"`
	SK      string   `dynamodbav:"sk"`
	Tenant  string   `dynamodbav:"tenant"`
	Sharers []string `dynamodbav:"sharers,stringset,omitempty"`
}

const ownerSK = "OWNER"

// ClaimRealm makes tenant the owner of realm if no other tenant owns it.
// A tenant an operator allowed to share it (AllowRealmSharing) may use it
// too; any other gets *RealmTakenError. The conditional write settles two
// tenants connecting the same company at once.
func (s *Store) ClaimRealm(ctx context.Context, realm, tenant string) error {
	err := s.put(ctx, ownerItem{PK: realmPK(realm), SK: ownerSK, Tenant: tenant},
		"attribute_not_exists(pk) OR (tenant = :t AND attribute_not_exists(sharers))", map[string]types.AttributeValue{":t": str(tenant)})
	if !errors.Is(err, ErrConflict) {
		if err != nil {
			return fmt.Errorf("claim company %s for %s: %w", realm, tenant, err)
		}
		return nil
	}
	var it ownerItem
	if err := s.get(ctx, realmPK(realm), ownerSK, &it); err != nil {
		return fmt.Errorf("read owner of company %s: %w", realm, err)
	}
	if it.Tenant == tenant || slices.Contains(it.Sharers, tenant) {
		return nil
	}
	return &RealmTakenError{Realm: realm, Owner: it.Tenant}
}

// ReleaseRealm gives up tenant's ownership of realm (it moved to another
// company); a realm owned by someone else is left alone.
func (s *Store) ReleaseRealm(ctx context.Context, realm, tenant string) error {
	in := deleteInput(s.table, realmPK(realm), ownerSK)
	in.ConditionExpression = aws.String("tenant = :t")
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":t": str(tenant)}
	_, err := s.db.DeleteItem(ctx, in)
	if err = conflict(err); err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("release company %s of %s: %w", realm, tenant, err)
	}
	return nil
}

// AllowRealmSharing lets tenant sync to realm although another tenant owns
// it: an operator's explicit decision, for companies that really hold the
// books of two billing accounts.
func (s *Store) AllowRealmSharing(ctx context.Context, realm, tenant string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(realmPK(realm), ownerSK),
		UpdateExpression:          aws.String("ADD sharers :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberSS{Value: []string{tenant}}},
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		return fmt.Errorf("share company %s: %w", realm, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("share company %s with %s: %w", realm, tenant, err)
	}
	return nil
}
