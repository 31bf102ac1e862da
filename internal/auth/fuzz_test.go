package auth

import (
	"context"
	"testing"
	"time"
)

// FuzzVerify: no input makes Verify panic or accept a token it did not
// issue.
func FuzzVerify(f *testing.F) {
	l := NewLocal(testKey)
	good, _ := l.Issue(Claims{Tenant: "acme", Role: RoleAdmin, Expires: time.Now().Add(time.Hour)})
	f.Add(good)
	f.Add("")
	f.Add("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := l.Verify(context.Background(), token)
		if err == nil && token != good {
			// Only signed tokens verify; Issue is the only signer here.
			if _, ierr := l.Issue(c); ierr != nil {
				t.Fatalf("accepted %q with invalid claims %+v", token, c)
			}
			reissued, _ := l.Issue(c)
			if c2, err := l.Verify(context.Background(), reissued); err != nil || c2 != c {
				t.Fatalf("accepted %q but its claims do not round-trip", token)
			}
		}
	})
}
