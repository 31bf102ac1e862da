package outbound

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/store"
)

// Sealer encrypts secrets for one tenant (package seal implements it).
type Sealer interface {
	Seal(ctx context.Context, tenant, purpose string, plain []byte) ([]byte, error)
	Open(ctx context.Context, tenant, purpose string, sealed []byte) ([]byte, error)
}

// WithSealer returns a copy of s that seals endpoint secrets with sl.
func (s *Store) WithSealer(sl Sealer) *Store {
	c := *s
	c.sealer = sl
	return &c
}

const (
	endpointSK     = "OUTBOUND"
	purposeSecret  = "outbound-secret"
	maxSecrets     = 2
	secretIDPrefix = "obs_"
)

// Errors of endpoint changes; callers test them with errors.Is.
var (
	ErrNoEndpoint = errors.New("no outbound endpoint set")
	ErrBadURL     = errors.New("endpoint URL must be https (http only to a loopback address)")
	ErrTooMany    = errors.New("two signing secrets are active: retire one first")
	ErrLastSecret = errors.New("the last signing secret cannot be retired: add its successor first")
	ErrNoSecret   = errors.New("no such signing secret")
	ErrConflict   = errors.New("the endpoint changed meanwhile")
	ErrNoSealer   = errors.New("outbound store has no sealer for secrets")
)

// SecretInfo describes a signing secret without its value.
type SecretInfo struct {
	ID        string
	CreatedAt time.Time
}

// NewSecret is a signing secret just made; its value is shown once.
type NewSecret struct {
	SecretInfo
	Value string
}

// Endpoint is where a tenant's events are delivered.
type Endpoint struct {
	URL       string
	Secrets   []SecretInfo // newest first
	UpdatedAt time.Time
}

type secretItem struct {
	ID        string    `dynamodbav:"id"`
	Sealed    []byte    `dynamodbav:"sealed"`
	CreatedAt time.Time `dynamodbav:"created_at,unixtime"`
}

type endpointItem struct {
	PK        string       `dynamodbav:"pk"`
	SK        string       `dynamodbav:"sk"`
	URL       string       `dynamodbav:"url"`
	Secrets   []secretItem `dynamodbav:"secrets"`
	Rev       int64        `dynamodbav:"rev"`
	UpdatedAt time.Time    `dynamodbav:"updated_at,unixtime"`
}

func (it endpointItem) endpoint() Endpoint {
	e := Endpoint{URL: it.URL, UpdatedAt: it.UpdatedAt}
	for _, sec := range it.Secrets {
		e.Secrets = append(e.Secrets, SecretInfo{ID: sec.ID, CreatedAt: sec.CreatedAt})
	}
	return e
}

// CheckURL accepts an absolute https URL, or http to a loopback address
// (a receiver on the same machine, as on the local stack).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2048 {
		return ErrBadURL
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return ErrBadURL
}

func (s *Store) endpointItem(ctx context.Context, tenant string) (endpointItem, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: store.Key(store.TenantPK(tenant), endpointSK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return endpointItem{}, fmt.Errorf("read outbound endpoint of %s: %w", tenant, err)
	}
	if res.Item == nil {
		return endpointItem{}, ErrNoEndpoint
	}
	var it endpointItem
	if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
		return endpointItem{}, fmt.Errorf("decode outbound endpoint of %s: %w", tenant, err)
	}
	return it, nil
}

// Endpoint returns the tenant's endpoint; ErrNoEndpoint when none is set.
func (s *Store) Endpoint(ctx context.Context, tenant string) (Endpoint, error) {
	it, err := s.endpointItem(ctx, tenant)
	if err != nil {
		return Endpoint{}, err
	}
	return it.endpoint(), nil
}

// SetEndpoint points the tenant's deliveries at rawURL. The first time it
// also makes the signing secret, returned once; later calls keep the
// secrets and return nil.
func (s *Store) SetEndpoint(ctx context.Context, tenant, rawURL string) (Endpoint, *NewSecret, error) {
	if err := CheckURL(rawURL); err != nil {
		return Endpoint{}, nil, err
	}
	it, err := s.endpointItem(ctx, tenant)
	if err != nil && !errors.Is(err, ErrNoEndpoint) {
		return Endpoint{}, nil, err
	}
	fresh := errors.Is(err, ErrNoEndpoint)
	var made *NewSecret
	if fresh {
		it = endpointItem{PK: store.TenantPK(tenant), SK: endpointSK}
		sec, value, err := s.newSecret(ctx, tenant)
		if err != nil {
			return Endpoint{}, nil, err
		}
		it.Secrets = []secretItem{sec}
		made = &NewSecret{SecretInfo: SecretInfo{ID: sec.ID, CreatedAt: sec.CreatedAt}, Value: value}
	}
	it.URL = rawURL
	if err := s.saveEndpoint(ctx, tenant, it, fresh); err != nil {
		return Endpoint{}, nil, err
	}
	return it.endpoint(), made, nil
}

// AddSecret makes a further signing secret (a rotation): deliveries are
// signed with both until one is retired. ErrTooMany when two are active.
func (s *Store) AddSecret(ctx context.Context, tenant string) (NewSecret, error) {
	it, err := s.endpointItem(ctx, tenant)
	if err != nil {
		return NewSecret{}, err
	}
	if len(it.Secrets) >= maxSecrets {
		return NewSecret{}, ErrTooMany
	}
	sec, value, err := s.newSecret(ctx, tenant)
	if err != nil {
		return NewSecret{}, err
	}
	it.Secrets = append([]secretItem{sec}, it.Secrets...)
	if err := s.saveEndpoint(ctx, tenant, it, false); err != nil {
		return NewSecret{}, err
	}
	return NewSecret{SecretInfo: SecretInfo{ID: sec.ID, CreatedAt: sec.CreatedAt}, Value: value}, nil
}

// RetireSecret stops signing with secret id. ErrLastSecret for the only
// one, ErrNoSecret for an id the tenant does not have.
func (s *Store) RetireSecret(ctx context.Context, tenant, id string) error {
	it, err := s.endpointItem(ctx, tenant)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(it.Secrets, func(sec secretItem) bool { return sec.ID == id })
	switch {
	case i < 0:
		return ErrNoSecret
	case len(it.Secrets) == 1:
		return ErrLastSecret
	}
	it.Secrets = slices.Delete(it.Secrets, i, i+1)
	return s.saveEndpoint(ctx, tenant, it, false)
}

// saveEndpoint writes it conditionally on the revision it was read at.
func (s *Store) saveEndpoint(ctx context.Context, tenant string, it endpointItem, fresh bool) error {
	cond := "rev = :rev"
	values := map[string]types.AttributeValue{":rev": &types.AttributeValueMemberN{Value: fmt.Sprint(it.Rev)}}
	if fresh {
		cond, values = "attribute_not_exists(pk)", nil
	}
	it.Rev++
	it.UpdatedAt = s.now().UTC()
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("encode outbound endpoint of %s: %w", tenant, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av,
		ConditionExpression: &cond, ExpressionAttributeValues: values})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save outbound endpoint of %s: %w", tenant, err)
	}
	return nil
}

func (s *Store) newSecret(ctx context.Context, tenant string) (secretItem, string, error) {
	if s.sealer == nil {
		return secretItem{}, "", ErrNoSealer
	}
	raw := make([]byte, 40)
	if _, err := rand.Read(raw); err != nil {
		return secretItem{}, "", fmt.Errorf("make signing secret: %w", err)
	}
	value := hex.EncodeToString(raw[:32])
	sealed, err := s.sealer.Seal(ctx, tenant, purposeSecret, []byte(value))
	if err != nil {
		return secretItem{}, "", fmt.Errorf("seal signing secret of %s: %w", tenant, err)
	}
	return secretItem{ID: secretIDPrefix + hex.EncodeToString(raw[32:]), Sealed: sealed, CreatedAt: s.now().UTC()}, value, nil
}

// target is the endpoint with its secrets opened, newest first.
type target struct {
	url     string
	secrets [][]byte
}

func (s *Store) target(ctx context.Context, tenant string) (target, error) {
	it, err := s.endpointItem(ctx, tenant)
	if err != nil {
		return target{}, err
	}
	if s.sealer == nil {
		return target{}, ErrNoSealer
	}
	t := target{url: it.URL}
	for _, sec := range it.Secrets {
		v, err := s.sealer.Open(ctx, tenant, purposeSecret, sec.Sealed)
		if err != nil {
			return target{}, fmt.Errorf("open signing secret %s of %s: %w", sec.ID, tenant, err)
		}
		t.secrets = append(t.secrets, v)
	}
	return t, nil
}
