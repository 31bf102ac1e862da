package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestLocalRoundTrip(t *testing.T) {
	l := NewLocal(testKey)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	want := Claims{Subject: "ann@example.com", Tenant: "acme", Role: RoleAdmin, Expires: exp}
	tok, err := l.Issue(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("claims = %+v, want %+v", got, want)
	}
}

func TestLocalRefuses(t *testing.T) {
	l := NewLocal(testKey)
	hour := time.Now().Add(time.Hour)
	good, err := l.Issue(Claims{Tenant: "acme", Role: RoleAdmin, Expires: hour})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewLocal([]byte("another key of thirty-two bytes!")).Issue(Claims{Tenant: "acme", Role: RoleAdmin, Expires: hour})
	parts := strings.Split(good, ".")
	forgedBody := b64([]byte(`{"tenant":"beta","role":"admin","exp":` + itoa(hour.Unix()) + `}`))
	noneHeader := b64([]byte(`{"alg":"none","typ":"JWT"}`))
	past := NewLocal(testKey)
	past.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, err := past.Issue(Claims{Tenant: "acme", Role: RoleAdmin, Expires: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{
		"empty":          "",
		"other key":      other,
		"tenant swapped": parts[0] + "." + forgedBody + "." + parts[2],
		"alg none":       noneHeader + "." + parts[1] + ".",
		"no signature":   parts[0] + "." + parts[1],
		"expired":        expired,
		"huge":           strings.Repeat("a", maxTokenLen+1),
	} {
		if _, err := l.Verify(context.Background(), tok); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", name, err)
		}
	}
}

func TestIssueRefusesBadClaims(t *testing.T) {
	l := NewLocal(testKey)
	hour := time.Now().Add(time.Hour)
	for name, c := range map[string]Claims{
		"admin without tenant": {Role: RoleAdmin, Expires: hour},
		"admin bad tenant":     {Tenant: "ACME#1", Role: RoleAdmin, Expires: hour},
		"operator with tenant": {Tenant: "acme", Role: RoleOperator, Expires: hour},
		"unknown role":         {Tenant: "acme", Role: "root", Expires: hour},
		"no expiry":            {Tenant: "acme", Role: RoleAdmin},
	} {
		if _, err := l.Issue(c); err == nil {
			t.Errorf("%s: issued", name)
		}
	}
	if _, err := NewLocal([]byte("short")).Issue(Claims{Role: RoleOperator, Expires: hour}); err == nil {
		t.Error("short key: issued")
	}
}

func TestFromRequest(t *testing.T) {
	l := NewLocal(testKey)
	hour := time.Now().Add(time.Hour)
	tok, _ := l.Issue(Claims{Subject: "ann", Tenant: "acme", Role: RoleAdmin, Expires: hour})
	withGateway := func(claims map[string]string) events.APIGatewayV2HTTPRequest {
		var r events.APIGatewayV2HTTPRequest
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
		return r
	}
	bearer := func(h string) events.APIGatewayV2HTTPRequest {
		return events.APIGatewayV2HTTPRequest{Headers: map[string]string{"authorization": h}}
	}
	exp := itoa(hour.Unix())
	tests := []struct {
		name   string
		req    events.APIGatewayV2HTTPRequest
		v      Verifier
		tenant string // "" means refused
	}{
		{"bearer", bearer("Bearer " + tok), l, "acme"},
		{"bearer lower-case scheme", bearer("bearer " + tok), l, "acme"},
		{"header name capitalised", events.APIGatewayV2HTTPRequest{Headers: map[string]string{"Authorization": "Bearer " + tok}}, l, "acme"},
		{"no header", events.APIGatewayV2HTTPRequest{}, l, ""},
		{"basic scheme", bearer("Basic " + tok), l, ""},
		{"no verifier", bearer("Bearer " + tok), nil, ""},
		{"gateway claims", withGateway(map[string]string{"sub": "bob", "tenant": "beta", "role": "admin", "exp": exp}), nil, "beta"},
		{"gateway claims win over bearer", func() events.APIGatewayV2HTTPRequest {
			r := withGateway(map[string]string{"tenant": "beta", "role": "admin", "exp": exp})
			r.Headers = map[string]string{"authorization": "Bearer " + tok}
			return r
		}(), l, "beta"},
		{"gateway claims without role", withGateway(map[string]string{"tenant": "beta", "exp": exp}), nil, ""},
		{"gateway claims expired", withGateway(map[string]string{"tenant": "beta", "role": "admin", "exp": "1000"}), nil, ""},
		{"gateway claims bad exp", withGateway(map[string]string{"tenant": "beta", "role": "admin", "exp": "soon"}), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromRequest(context.Background(), tt.req, tt.v)
			if tt.tenant == "" {
				if !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("err = %v, want ErrUnauthorized", err)
				}
				return
			}
			if err != nil || c.Tenant != tt.tenant {
				t.Fatalf("claims %+v, %v; want tenant %s", c, err, tt.tenant)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	admin := Claims{Tenant: "acme", Role: RoleAdmin}
	op := Claims{Role: RoleOperator}
	if admin.RequireTenant("acme") != nil {
		t.Error("admin of acme refused acme")
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"admin of acme on beta", admin.RequireTenant("beta")},
		{"admin of acme on empty tenant", admin.RequireTenant("")},
		{"operator on acme", op.RequireTenant("acme")},
		{"admin as operator", admin.RequireOperator()},
		{"empty claims on empty tenant", Claims{}.RequireTenant("")},
	} {
		if !errors.Is(c.err, ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", c.name, c.err)
		}
	}
	if op.RequireOperator() != nil {
		t.Error("operator refused as operator")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
