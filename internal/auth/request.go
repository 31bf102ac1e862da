package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// maxTokenLen bounds the Authorization header read; real JWTs are a few
// hundred bytes to a few kilobytes.
const maxTokenLen = 8 << 10

// FromRequest returns the verified claims of req's caller. Claims an API
// Gateway JWT authorizer verified are used when present; otherwise the
// Authorization: Bearer token is verified with v (nil: refused). Errors
// wrap ErrUnauthorized.
func FromRequest(ctx context.Context, req events.APIGatewayV2HTTPRequest, v Verifier) (Claims, error) {
	if a := req.RequestContext.Authorizer; a != nil && a.JWT != nil && len(a.JWT.Claims) > 0 {
		c, err := fromStrings(a.JWT.Claims)
		if err != nil {
			return Claims{}, err
		}
		if err := c.check(time.Now()); err != nil {
			return Claims{}, err
		}
		return c, nil
	}
	tok, ok := bearer(req.Headers)
	if !ok {
		return Claims{}, fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	}
	if v == nil {
		return Claims{}, fmt.Errorf("%w: no verifier", ErrUnauthorized)
	}
	return v.Verify(ctx, tok)
}

// bearer returns the token of an Authorization: Bearer header. API Gateway
// lower-cases header names in payload v2; other callers may not.
func bearer(h map[string]string) (string, bool) {
	val, ok := h["authorization"]
	if !ok {
		for k, v := range h {
			if strings.EqualFold(k, "authorization") {
				val, ok = v, true
				break
			}
		}
	}
	if !ok || len(val) > maxTokenLen+len("Bearer ") {
		return "", false
	}
	scheme, tok, found := strings.Cut(strings.TrimSpace(val), " ")
	if !found || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
