package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
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

type payload struct {
	Sub    string `json:"sub,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	Role   string `json:"role"`
	Exp    int64  `json:"exp"`
}

// jwtHeader is {"alg":"HS256","typ":"JWT"} encoded: the only header Local
// issues and the only one it accepts, byte for byte. No algorithm
// negotiation, so no "none" and no key confusion.
const jwtHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

// Issue returns a signed token carrying c.
func (l *Local) Issue(c Claims) (string, error) {
	if len(l.key) < minKeyLen {
		return "", errors.New("local token key shorter than 32 bytes")
	}
	if err := c.check(l.now()); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	body, err := json.Marshal(payload{Sub: c.Subject, Tenant: c.Tenant, Role: c.Role, Exp: c.Expires.Unix()})
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	signed := jwtHeader + "." + b64(body)
	return signed + "." + b64(l.mac(signed)), nil
}

// Verify checks token's signature and claims.
func (l *Local) Verify(_ context.Context, token string) (Claims, error) {
	if len(l.key) < minKeyLen || len(token) > maxTokenLen {
		return Claims{}, ErrUnauthorized
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != jwtHeader {
		return Claims{}, fmt.Errorf("%w: malformed token", ErrUnauthorized)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, l.mac(parts[0]+"."+parts[1])) {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrUnauthorized)
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: malformed payload", ErrUnauthorized)
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Claims{}, fmt.Errorf("%w: malformed payload", ErrUnauthorized)
	}
	c := Claims{Subject: p.Sub, Tenant: p.Tenant, Role: p.Role, Expires: time.Unix(p.Exp, 0)}
	if p.Exp == 0 {
		c.Expires = time.Time{}
	}
	if err := c.check(l.now()); err != nil {
		return Claims{}, err
	}
	return c, nil
}

func (l *Local) mac(s string) []byte {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func (l *Local) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
