package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxWebhookSecrets is how many webhook secrets verify at once: the
// current one and, during a rotation, the next.
const MaxWebhookSecrets = 2

const purposeWebhook = "webhook-secret"

// ErrTooMany: the tenant already has MaxWebhookSecrets active secrets;
// retire one before adding another.
var ErrTooMany = errors.New("too many active webhook secrets")

// ErrLastSecret: retiring the only active secret would make every webhook
// fail; add its successor first.
var ErrLastSecret = errors.New("the last active webhook secret cannot be retired")

type secretItem struct {
	ID        string    `dynamodbav:"id"`
	Sealed    []byte    `dynamodbav:"sealed"`
	CreatedAt time.Time `dynamodbav:"created_at,unixtime"`
}

func (it secretItem) info() SecretInfo { return SecretInfo{ID: it.ID, CreatedAt: it.CreatedAt} }

func (s *Store) newSecret(ctx context.Context, tenant, value string) (secretItem, error) {
	if value == "" {
		return secretItem{}, errors.New("empty webhook secret")
	}
	sealed, err := s.seal(ctx, tenant, purposeWebhook, value)
	if err != nil {
		return secretItem{}, err
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return secretItem{}, err
	}
	return secretItem{ID: "whs_" + hex.EncodeToString(id), Sealed: sealed, CreatedAt: s.now().UTC()}, nil
}

// WebhookSecrets returns the tenant's active webhook secrets, opened (one,
// or two during a rotation); ErrNotFound for an unknown tenant.
func (s *Store) WebhookSecrets(ctx context.Context, tenant string) ([][]byte, error) {
	var it tenantItem
	if err := s.get(ctx, tenantPK(tenant), "TENANT", &it); err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(it.Secrets))
	for _, sec := range it.Secrets {
		v, err := s.open(ctx, tenant, purposeWebhook, sec.Sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, []byte(v))
	}
	return out, nil
}

// AddWebhookSecret activates value as a further webhook secret of tenant
// and returns its description. ErrTooMany when MaxWebhookSecrets are
// active; ErrNotFound for an unknown tenant.
func (s *Store) AddWebhookSecret(ctx context.Context, tenant, value string) (SecretInfo, error) {
	sec, err := s.newSecret(ctx, tenant, value)
	if err != nil {
		return SecretInfo{}, err
	}
	av, err := attributevalue.Marshal([]secretItem{sec})
	if err != nil {
		return SecretInfo{}, fmt.Errorf("encode secret: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "TENANT"),
		UpdateExpression:    aws.String("SET secrets = list_append(if_not_exists(secrets, :empty), :new)"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(secrets) OR size(secrets) < :max)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": av, ":empty": &types.AttributeValueMemberL{}, ":max": num(MaxWebhookSecrets),
		},
	})
	if err = conflict(err); errors.Is(err, ErrConflict) {
		if _, terr := s.Tenant(ctx, tenant); terr != nil {
			return SecretInfo{}, terr
		}
		return SecretInfo{}, ErrTooMany
	}
	if err != nil {
		return SecretInfo{}, fmt.Errorf("add webhook secret of %s: %w", tenant, err)
	}
	return sec.info(), nil
}

// RetireWebhookSecret deactivates the secret id of tenant. ErrNotFound for
// an unknown tenant or secret, ErrLastSecret for the only active one,
// ErrConflict when the secrets changed meanwhile (retry).
func (s *Store) RetireWebhookSecret(ctx context.Context, tenant, id string) error {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	idx := -1
	for i, sec := range t.Secrets {
		if sec.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return ErrNotFound
	}
	if len(t.Secrets) == 1 {
		return ErrLastSecret
	}
	// The index is only valid for the list just read: the condition
	// checks that the same secret is still at that position.
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(tenant), "TENANT"),
		UpdateExpression:          aws.String(fmt.Sprintf("REMOVE secrets[%d]", idx)),
		ConditionExpression:       aws.String(fmt.Sprintf("secrets[%d].id = :id AND size(secrets) > :one", idx)),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(id), ":one": num(1)},
	})
	if err = conflict(err); err != nil {
		if errors.Is(err, ErrConflict) {
			return ErrConflict
		}
		return fmt.Errorf("retire webhook secret of %s: %w", tenant, err)
	}
	return nil
}
