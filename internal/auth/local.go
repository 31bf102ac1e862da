package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The issuer and audience of the tokens Local issues and accepts, as on
// AWS the HTTP API's authorizer accepts only AdminJwtIssuer and
// AdminJwtAudience.
const (
	LocalIssuer   = "qbosync-local"
	LocalAudience = "qbosync-admin"
)

// Local issues and verifies HS256 JWTs with one shared key. The local
// stack and tests use it where AWS uses the HTTP API's JWT authorizer.
type Local struct {
	key []byte
	// Now is the verifier's clock; nil means time.Now.
	Now func() time.Time
}

// NewLocal returns a Local signing with key (at least 32 bytes).
func NewLocal(key []byte) *Local {
	return &Local{key: append([]byte(nil), key...)}
}

// minKeyLen is HS256's key length: shorter keys weaken the MAC.
const minKeyLen = 32

type tokenClaims struct {
	Tenant string `json:"tenant,omitempty"`
	Role   string `json:"role"`
	jwt.RegisteredClaims
}

// Issue returns a signed token carrying c, from LocalIssuer for
// LocalAudience.
func (l *Local) Issue(c Claims) (string, error) {
	if len(l.key) < minKeyLen {
		return "", errors.New("local token key shorter than 32 bytes")
	}
	if err := c.check(l.now()); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	tc := tokenClaims{Tenant: c.Tenant, Role: c.Role, RegisteredClaims: jwt.RegisteredClaims{
		Subject: c.Subject, Issuer: LocalIssuer, Audience: jwt.ClaimStrings{LocalAudience},
		ExpiresAt: jwt.NewNumericDate(c.Expires),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString(l.key)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	return tok, nil
}

// Verify checks token's signature (HS256 only, strict base64) and claims:
// exp required and passed, nbf if present, iss and aud exactly Local's.
func (l *Local) Verify(_ context.Context, token string) (Claims, error) {
	if len(l.key) < minKeyLen || len(token) > maxTokenLen {
		return Claims{}, ErrUnauthorized
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithStrictDecoding(),
		jwt.WithIssuer(LocalIssuer), jwt.WithAudience(LocalAudience), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(l.now))
	var tc tokenClaims
	if _, err := p.ParseWithClaims(token, &tc, func(*jwt.Token) (any, error) { return l.key, nil }); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	c := Claims{Subject: tc.Subject, Tenant: tc.Tenant, Role: tc.Role}
	if tc.ExpiresAt != nil {
		c.Expires = tc.ExpiresAt.Time
	}
	if err := c.check(l.now()); err != nil {
		return Claims{}, err
	}
	return c, nil
}

func (l *Local) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}
