package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Sealer encrypts secrets for one tenant (package seal implements it with
// KMS envelope encryption). purpose binds a value to the field it is for.
type Sealer interface {
	Seal(ctx context.Context, tenant, purpose string, plain []byte) ([]byte, error)
	Open(ctx context.Context, tenant, purpose string, sealed []byte) ([]byte, error)
}

// ErrNoSealer: a secret was to be stored or read by a Store without a
// Sealer. Secrets are never stored in the clear.
var ErrNoSealer = errors.New("store has no sealer for secrets")

// WithSealer returns a copy of s that seals OAuth tokens and webhook
// secrets with sl before writing them and opens them after reading.
func (s *Store) WithSealer(sl Sealer) *Store {
	c := *s
	c.sealer = sl
	return &c
}

// seal returns nil for an empty value: nothing to hide, nothing stored.
func (s *Store) seal(ctx context.Context, tenant, purpose, plain string) ([]byte, error) {
	if plain == "" {
		return nil, nil
	}
	if s.sealer == nil {
		return nil, ErrNoSealer
	}
	b, err := s.sealer.Seal(ctx, tenant, purpose, []byte(plain))
	if err != nil {
		return nil, fmt.Errorf("seal %s of %s: %w", purpose, tenant, err)
	}
	return b, nil
}

func (s *Store) open(ctx context.Context, tenant, purpose string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	if s.sealer == nil {
		return "", ErrNoSealer
	}
	b, err := s.sealer.Open(ctx, tenant, purpose, sealed)
	if err != nil {
		return "", fmt.Errorf("open %s of %s: %w", purpose, tenant, err)
	}
	return string(b), nil
}

func marshal(v any) (types.AttributeValue, error) {
	av, err := attributevalue.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return av, nil
}
