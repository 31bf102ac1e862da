package intuitoauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Mirrors Intuit's documented connection lifecycle: consent redirects with
// code, state and realmId; the code is exchanged once; a refresh a day
// after the refresh token was issued rotates it and the superseded one gets
// invalid_grant; revoke ends the connection.
func TestConnectionLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	cb := h.consent(t, "csrf-123")
	if cb.Get("state") != "csrf-123" || cb.Get("code") == "" || cb.Get("realmId") == "" {
		t.Fatalf("callback query = %v, want code, state=csrf-123 and realmId", cb)
	}
	if cb.Get("tenant") != "t1" {
		t.Errorf("callback lost the redirect_uri's own query: %v", cb)
	}
	realm := cb.Get("realmId")

	tok, err := h.conf.Exchange(ctx, cb.Get("code"))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.TokenType != "bearer" || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	if got, err := h.srv.Authenticate(tok.AccessToken); err != nil || got != realm {
		t.Fatalf("Authenticate(new access token) = %q, %v; want %q", got, err, realm)
	}

	t.Run("authorization code is single-use", func(t *testing.T) {
		_, err := h.conf.Exchange(ctx, cb.Get("code"))
		wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	h.clock.Advance(rotateAfter)
	rotated, err := h.refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if rotated.RefreshToken == tok.RefreshToken || rotated.AccessToken == tok.AccessToken {
		t.Fatal("refresh a day later returned the same tokens; Intuit rotates both")
	}
	if n := h.srv.Refreshes(realm); n != 1 {
		t.Errorf("Refreshes = %d, want 1", n)
	}

	t.Run("superseded refresh token fails with invalid_grant", func(t *testing.T) {
		_, err := h.refresh(ctx, tok.RefreshToken)
		wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
	})

	t.Run("access tokens issued before a refresh stay valid until they expire", func(t *testing.T) {
		h.clock.Advance(-rotateAfter)
		defer h.clock.Advance(rotateAfter)
		if _, err := h.srv.Authenticate(tok.AccessToken); err != nil {
			t.Errorf("old access token: %v", err)
		}
	})

	t.Run("revoke ends the refresh token and its access tokens", func(t *testing.T) {
		body := strings.NewReader(`{"token":"` + rotated.RefreshToken + `"}`)
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/oauth2/v1/tokens/revoke", body)
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(testClientID, testClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(raw)) != `{"statuscode":"200"}` {
			t.Fatalf("revoke = %d %s", resp.StatusCode, raw)
		}
		for _, at := range []string{tok.AccessToken, rotated.AccessToken} {
			if _, err := h.srv.Authenticate(at); !errors.Is(err, ErrInvalid) {
				t.Errorf("Authenticate after revoke = %v, want ErrInvalid", err)
			}
		}
		_, err = h.refresh(ctx, rotated.RefreshToken)
		wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
	})
}

// Mirrors Intuit's one-hour access token: Accounting API calls with it fail
// with 401 once the hour is over.
func TestAccessTokenExpiresAfterOneHour(t *testing.T) {
	h := newHarness(t)
	realm, tok := h.connect(t)
	if tok.Expiry.IsZero() || time.Until(tok.Expiry) < 59*time.Minute {
		t.Errorf("client saw expiry %v, want about an hour (expires_in 3600)", tok.Expiry)
	}
	h.clock.Advance(3599 * time.Second)
	if got, err := h.srv.Authenticate("Bearer " + tok.AccessToken); err != nil || got != realm {
		t.Fatalf("at 3599s Authenticate = %q, %v", got, err)
	}
	h.clock.Advance(time.Second)
	if _, err := h.srv.Authenticate(tok.AccessToken); !errors.Is(err, ErrExpired) {
		t.Fatalf("at 3600s Authenticate err = %v, want ErrExpired", err)
	}
	if _, err := h.srv.Authenticate("not-a-token"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown token err = %v, want ErrInvalid", err)
	}
	fresh, err := h.refresh(context.Background(), tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh after access expiry: %v", err)
	}
	if got, err := h.srv.Authenticate(fresh.AccessToken); err != nil || got != realm {
		t.Fatalf("refreshed token: %q, %v", got, err)
	}
}

// Mirrors the simulator's "expire tokens" control: the next API call sees an
// expired token exactly as after an hour, and a refresh recovers.
func TestExpireRealmAndIssue(t *testing.T) {
	h := newHarness(t)
	a := h.srv.Issue("111")
	b := h.srv.Issue("222")
	if a.ExpiresIn != 3600 || a.AccessToken == "" || a.RefreshToken == "" || a.AccessToken == b.AccessToken {
		t.Fatalf("Issue = %+v / %+v", a, b)
	}
	h.srv.ExpireRealm("111")
	if _, err := h.srv.Authenticate(a.AccessToken); !errors.Is(err, ErrExpired) {
		t.Errorf("expired realm: err = %v, want ErrExpired", err)
	}
	if got, err := h.srv.Authenticate(b.AccessToken); err != nil || got != "222" {
		t.Errorf("other realm: %q, %v", got, err)
	}
	fresh, err := h.refresh(context.Background(), a.RefreshToken)
	if err != nil {
		t.Fatalf("refresh of issued token: %v", err)
	}
	if got, err := h.srv.Authenticate(fresh.AccessToken); err != nil || got != "111" {
		t.Errorf("after refresh: %q, %v", got, err)
	}
}

// Mirrors Intuit's rotation under races: when two workers refresh with a
// token due for rotation, one wins and the other gets invalid_grant, which
// is why integrations must serialise refreshes per realm.
func TestConcurrentRefreshOneWins(t *testing.T) {
	h := newHarness(t)
	realm, tok := h.connect(t)
	h.clock.Advance(rotateAfter)
	const workers = 8
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		wins, invalidGrant int
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.refresh(context.Background(), tok.RefreshToken)
			var re *oauth2.RetrieveError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.As(err, &re) && re.ErrorCode == "invalid_grant":
				invalidGrant++
			default:
				t.Errorf("refresh: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || invalidGrant != workers-1 {
		t.Errorf("wins=%d invalid_grant=%d, want 1 and %d", wins, invalidGrant, workers-1)
	}
	if n := h.srv.Refreshes(realm); n != 1 {
		t.Errorf("Refreshes = %d, want 1", n)
	}
}

func wantOAuthError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want an OAuth error %s", err, code)
	}
	if re.Response.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("got HTTP %d error %q, want %d %q", re.Response.StatusCode, re.ErrorCode, status, code)
	}
	if re.Response.Header.Get("intuit_tid") == "" {
		t.Error("error response has no intuit_tid header")
	}
}

func decodeBody(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return m
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func formOf(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// Intuit returns the same refresh token for roughly a day and a new one
// after that; the old value then fails with invalid_grant. Evidence:
// Intuit staff in IntuitDeveloper/oauth2-nodejs#2 and intuit/oauth-jsclient#74
// ("the refresh token value changes every 24-26 hours"); Intuit's
// "Validity of Refresh Token" article quoted in intuit/QuickBooks-V3-PHP-SDK#324.
func TestRefreshTokenKeptForADayThenRotated(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, tok := h.connect(t)

	h.clock.Advance(rotateAfter - time.Minute)
	same, err := h.refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh within the day: %v", err)
	}
	if same.RefreshToken != tok.RefreshToken {
		t.Fatalf("refresh within the day returned a new refresh token")
	}
	if same.AccessToken == tok.AccessToken {
		t.Error("refresh returned the same access token")
	}

	h.clock.Advance(time.Minute)
	rotated, err := h.refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh a day later: %v", err)
	}
	if rotated.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh a day later kept the refresh token")
	}
	_, err = h.refresh(ctx, tok.RefreshToken)
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
	if _, err := h.refresh(ctx, rotated.RefreshToken); err != nil {
		t.Errorf("refresh with the new token: %v", err)
	}
}

// Intuit publishes OpenID discovery documents for production and sandbox
// (shared/spec/qbo/samples/oauth_discovery.json; Java SDK
// oauthclient.properties). The simulator serves both, with the same fields,
// pointing at its own endpoints.
func TestDiscoveryDocumentPointsAtSimulator(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/.well-known/openid_sandbox_configuration", "/.well-known/openid_configuration",
		"/.well-known/openid_sandbox_configuration/"} {
		resp, err := http.Get(h.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("%s: status %d, %v", path, resp.StatusCode, err)
		}
		for _, key := range []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
			"revocation_endpoint", "jwks_uri", "response_types_supported", "subject_types_supported",
			"id_token_signing_alg_values_supported", "scopes_supported", "token_endpoint_auth_methods_supported",
			"claims_supported"} {
			if doc[key] == nil {
				t.Errorf("%s: no %s", path, key)
			}
		}
		if doc["token_endpoint"] != h.ts.URL+"/oauth2/v1/tokens/bearer" ||
			doc["authorization_endpoint"] != h.ts.URL+"/connect/oauth2" ||
			doc["revocation_endpoint"] != h.ts.URL+"/oauth2/v1/tokens/revoke" {
			t.Errorf("%s: endpoints %v, %v, %v do not point at the simulator", path,
				doc["authorization_endpoint"], doc["token_endpoint"], doc["revocation_endpoint"])
		}
	}
}
