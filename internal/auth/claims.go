package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
)

// Roles a token can carry.
const (
	// RoleAdmin administers exactly one tenant, named by Claims.Tenant.
	RoleAdmin = "admin"
	// RoleOperator provisions tenants and their webhook secrets; it reads
	// no tenant's books.
	RoleOperator = "operator"
)

// Claim names in the JWT payload.
const (
	claimSubject = "sub"
	claimExpires = "exp"
	claimTenant  = "tenant"
	claimRole    = "role"
)

var (
	// ErrUnauthorized: no credentials, or credentials that do not verify
	// (forged, expired, malformed). Answer 401.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: valid credentials that do not allow the request (another
	// tenant, the wrong role). Answer 403.
	ErrForbidden = errors.New("forbidden")
)

// Claims are what a verified token says about its bearer.
type Claims struct {
	Subject string
	Tenant  string
	Role    string
	Expires time.Time
}

// Verifier checks a bearer token and returns its claims, or an error
// wrapping ErrUnauthorized.
type Verifier interface {
	Verify(ctx context.Context, token string) (Claims, error)
}

// RequireTenant allows only the admin of exactly tenant.
func (c Claims) RequireTenant(tenant string) error {
	if c.Role != RoleAdmin || c.Tenant == "" || c.Tenant != tenant {
		return ErrForbidden
	}
	return nil
}

// RequireOperator allows only operators.
func (c Claims) RequireOperator() error {
	if c.Role != RoleOperator {
		return ErrForbidden
	}
	return nil
}

// check validates claims whatever their source: a known role, a
// well-formed tenant for admins and none for operators, not expired.
func (c Claims) check(now time.Time) error {
	switch c.Role {
	case RoleAdmin:
		if !billing.ValidTenant(c.Tenant) {
			return fmt.Errorf("%w: admin token without a valid tenant", ErrUnauthorized)
		}
	case RoleOperator:
		if c.Tenant != "" {
			return fmt.Errorf("%w: operator token names a tenant", ErrUnauthorized)
		}
	default:
		return fmt.Errorf("%w: unknown role", ErrUnauthorized)
	}
	if c.Expires.IsZero() || !now.Before(c.Expires) {
		return fmt.Errorf("%w: token expired or without expiry", ErrUnauthorized)
	}
	if len(c.Subject) > maxClaimLen {
		return fmt.Errorf("%w: subject too long", ErrUnauthorized)
	}
	return nil
}

// maxClaimLen bounds string claims; a subject is an id, not a document.
const maxClaimLen = 256

// fromStrings reads claims from the string map API Gateway passes (every
// value a string, numbers in decimal).
func fromStrings(m map[string]string) (Claims, error) {
	c := Claims{Subject: m[claimSubject], Tenant: m[claimTenant], Role: m[claimRole]}
	if exp := m[claimExpires]; exp != "" {
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil {
			return Claims{}, fmt.Errorf("%w: exp is not a number", ErrUnauthorized)
		}
		c.Expires = time.Unix(secs, 0)
	}
	return c, nil
}
