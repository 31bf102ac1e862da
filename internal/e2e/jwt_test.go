package e2e

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qbosync/qbosync/internal/devstack"
)

// The local stack's issuer and audience, as on AWS the HTTP API's JWT
// authorizer is configured with AdminJwtIssuer and AdminJwtAudience.
const (
	localIssuer   = "qbosync-local"
	localAudience = "qbosync-admin"
)

// TestAdminAPIRefusesTokensOutsideTheirClaims: a correctly signed token
// that is not yet valid, from another issuer, for another audience, or
// whose signature is re-encoded, opens nothing.
func TestAdminAPIRefusesTokensOutsideTheirClaims(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	s := newStack(t, devstack.Options{})
	newTenant(t, s, "acme")
	key, err := hex.DecodeString(s.Deps().Config.AuthLocalKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sign := func(edit func(jwt.MapClaims)) string {
		c := jwt.MapClaims{"sub": "admin@acme", "tenant": "acme", "role": "admin", "exp": now.Add(time.Hour).Unix(),
			"nbf": now.Add(-time.Minute).Unix(), "iss": localIssuer, "aud": localAudience}
		edit(c)
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	overview := s.GatewayURL() + "/api/v1/tenants/acme/overview"
	if status, out := callAPI(t, http.MethodGet, overview, sign(func(jwt.MapClaims) {}), nil); status != http.StatusOK {
		t.Fatalf("a valid token: %d %v", status, out)
	}
	good := sign(func(jwt.MapClaims) {})
	last := good[len(good)-1]
	// The signature's last character carries 4 bits of the MAC and 2
	// padding bits; flipping a padding bit keeps a lax decoder's bytes.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	reencoded := good[:len(good)-1] + string(alphabet[strings.IndexByte(alphabet, last)^1])
	for name, tok := range map[string]string{
		"not valid before an hour from now": sign(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }),
		"another issuer":                    sign(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
		"no issuer":                         sign(func(c jwt.MapClaims) { delete(c, "iss") }),
		"another audience":                  sign(func(c jwt.MapClaims) { c["aud"] = "billing" }),
		"no expiry":                         sign(func(c jwt.MapClaims) { delete(c, "exp") }),
		"re-encoded signature":              reencoded,
	} {
		if status, out := callAPI(t, http.MethodGet, overview, tok, nil); status != http.StatusUnauthorized {
			t.Errorf("token with %s: %d %v, want 401", name, status, out)
		}
	}
}
