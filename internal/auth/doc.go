// Package auth authenticates callers of the admin and operator APIs with
// JWTs whose claims are scoped to one tenant.
//
// API (stable; the admin and operator handlers build on it):
//
//	type Claims struct{ Subject, Tenant, Role string; Expires time.Time }
//	const RoleAdmin = "admin"       // one tenant's admin; Claims.Tenant names it
//	const RoleOperator = "operator" // provisions tenants; Claims.Tenant is empty
//	var ErrUnauthorized // no token, or a token that is forged, expired or malformed (HTTP 401)
//	var ErrForbidden    // a valid token that may not do this (HTTP 403)
//	type Verifier interface{ Verify(ctx context.Context, token string) (Claims, error) }
//	func FromRequest(ctx context.Context, req events.APIGatewayV2HTTPRequest, v Verifier) (Claims, error)
//	func (c Claims) RequireTenant(tenant string) error // nil only for RoleAdmin of exactly tenant
//	func (c Claims) RequireOperator() error            // nil only for RoleOperator
//	func NewLocal(key []byte) *Local                    // HS256 issuer + verifier (dev stack, tests), github.com/golang-jwt/jwt/v5
//	func (l *Local) Issue(c Claims) (string, error)
//	func (l *Local) Verify(ctx context.Context, token string) (Claims, error)
//
// Handlers call FromRequest first and then RequireTenant with the tenant of
// the path (or RequireOperator) before any read or write; the gateway's
// authorizer is a first wall, never the only one.
//
// On AWS the HTTP API's JWT authorizer verifies the token (issuer,
// audience, signature, expiry) and FromRequest reads the claims it passes
// in requestContext.authorizer.jwt.claims. Locally no authorizer runs and
// FromRequest verifies the Authorization: Bearer token with the Verifier.
// With a nil Verifier and no authorizer claims every request is refused.
//
// Token claims: "sub", "exp", "tenant" (a tenant id; admins only) and
// "role" ("admin" or "operator"). The identity provider must issue the
// last two as custom claims. Local tokens also carry "iss" (LocalIssuer)
// and "aud" (LocalAudience); Local refuses any other issuer or audience,
// a token without "exp", one whose "nbf" is ahead, and a signature in any
// but the canonical base64 encoding.
package auth
