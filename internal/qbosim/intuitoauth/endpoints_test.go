package intuitoauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Mirrors Intuit's token response (samples/oauth_success_token_response.json
// without id_token, which needs the openid scope) and the live 101-day
// x_refresh_token_expires_in.
func TestTokenResponseShape(t *testing.T) {
	h := newHarness(t)
	cb := h.consent(t, "s")
	resp := h.postForm(t, "/oauth2/v1/tokens/bearer", testClientID, testClientSecret,
		formOf("grant_type", "authorization_code", "code", cb.Get("code"), "redirect_uri", testRedirect), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if resp.Header.Get("intuit_tid") == "" {
		t.Error("no intuit_tid header")
	}
	body := decodeBody(t, resp)
	want := []string{"access_token", "expires_in", "refresh_token", "token_type", "x_refresh_token_expires_in"}
	if got := keys(body); !slices.Equal(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
	if body["token_type"] != "bearer" || body["expires_in"] != 3600.0 || body["x_refresh_token_expires_in"] != 8726400.0 {
		t.Errorf("body = %v", body)
	}
}

// Mirrors Intuit's 2026 hard expiry: with x-include-refresh-token-hard-expires-in
// the response adds x_refresh_token_hard_expires_in, five years from the
// first authorization and counting down across refreshes; the refresh token
// dies at that point however often it was used.
func TestRefreshTokenHardExpiry(t *testing.T) {
	h := newHarness(t)
	cb := h.consent(t, "s")
	withHeader := http.Header{"X-Include-Refresh-Token-Hard-Expires-In": {"true"}}
	resp := h.postForm(t, "/oauth2/v1/tokens/bearer", testClientID, testClientSecret,
		formOf("grant_type", "authorization_code", "code", cb.Get("code"), "redirect_uri", testRedirect), withHeader)
	body := decodeBody(t, resp)
	const fiveYears = 5 * 365 * 24 * 3600
	if body["x_refresh_token_hard_expires_in"] != float64(fiveYears) {
		t.Fatalf("hard expiry = %v, want %d", body["x_refresh_token_hard_expires_in"], fiveYears)
	}

	h.clock.Advance(24 * time.Hour)
	resp = h.postForm(t, "/oauth2/v1/tokens/bearer", testClientID, testClientSecret,
		formOf("grant_type", "refresh_token", "refresh_token", body["refresh_token"].(string)), withHeader)
	body = decodeBody(t, resp)
	if body["x_refresh_token_hard_expires_in"] != float64(fiveYears-86400) {
		t.Fatalf("hard expiry after a day = %v, want %d", body["x_refresh_token_hard_expires_in"], fiveYears-86400)
	}

	resp = h.postForm(t, "/oauth2/v1/tokens/bearer", testClientID, testClientSecret,
		formOf("grant_type", "refresh_token", "refresh_token", body["refresh_token"].(string)), nil)
	body = decodeBody(t, resp)
	if _, ok := body["x_refresh_token_hard_expires_in"]; ok {
		t.Error("hard expiry reported without the request header")
	}

	// Keep the connection alive inside the rolling window until the hard limit.
	rt := body["refresh_token"].(string)
	for elapsed := 24 * time.Hour; elapsed < fiveYears*time.Second; elapsed += 90 * 24 * time.Hour {
		h.clock.Advance(90 * 24 * time.Hour)
		tok, err := h.refresh(context.Background(), rt)
		if elapsed+90*24*time.Hour >= fiveYears*time.Second {
			wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
			return
		}
		if err != nil {
			t.Fatalf("refresh after %v: %v", elapsed, err)
		}
		rt = tok.RefreshToken
	}
	t.Fatal("hard expiry never reached")
}

// Mirrors Intuit's rolling refresh-token lifetime: unused for 101 days, a
// refresh token fails with invalid_grant and the user must reconnect.
func TestRefreshTokenRollingExpiry(t *testing.T) {
	h := newHarness(t)
	_, tok := h.connect(t)
	h.clock.Advance(8726400 * time.Second)
	_, err := h.refresh(context.Background(), tok.RefreshToken)
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
}

// Mirrors the token endpoint's authorization-code rules: codes expire after
// ten minutes and the redirect_uri must repeat the one consented to.
func TestAuthorizationCodeRules(t *testing.T) {
	tests := []struct {
		name     string
		wait     time.Duration
		redirect string
	}{
		{"code expires after ten minutes", 10 * time.Minute, testRedirect},
		{"redirect_uri must match the consent", 0, "https://app.example.com/other"},
		{"redirect_uri is required", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cb := h.consent(t, "s")
			h.clock.Advance(tt.wait)
			h.conf.RedirectURL = tt.redirect
			_, err := h.conf.Exchange(context.Background(), cb.Get("code"))
			wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")
		})
	}
	t.Run("code is still good just before ten minutes", func(t *testing.T) {
		h := newHarness(t)
		cb := h.consent(t, "s")
		h.clock.Advance(10*time.Minute - time.Second)
		if _, err := h.conf.Exchange(context.Background(), cb.Get("code")); err != nil {
			t.Fatal(err)
		}
	})
}

// Mirrors client authentication at Intuit's token endpoint: HTTP Basic
// (client_secret_basic) and client_secret_post are accepted, anything else
// is 401 invalid_client.
func TestTokenEndpointClientAuth(t *testing.T) {
	tests := []struct {
		name       string
		basicID    string
		basicPass  string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{"basic with the right secret", testClientID, testClientSecret, nil, 200, ""},
		{"client_secret_post", "", "", formOf("client_id", testClientID, "client_secret", testClientSecret), 200, ""},
		{"basic with a wrong secret", testClientID, "nope", nil, 401, "invalid_client"},
		{"basic with a wrong id", "someone-else", testClientSecret, nil, 401, "invalid_client"},
		{"no client credentials", "", "", nil, 401, "invalid_client"},
		{"post with a wrong secret", "", "", formOf("client_id", testClientID, "client_secret", "x"), 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cb := h.consent(t, "s")
			form := formOf("grant_type", "authorization_code", "code", cb.Get("code"), "redirect_uri", testRedirect)
			for k, v := range tt.form {
				form[k] = v
			}
			resp := h.postForm(t, "/oauth2/v1/tokens/bearer", tt.basicID, tt.basicPass, form, nil)
			body := decodeBody(t, resp)
			if resp.StatusCode != tt.wantStatus || (tt.wantError != "" && body["error"] != tt.wantError) {
				t.Fatalf("got %d %v, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantError)
			}
			if tt.wantStatus == 200 && body["access_token"] == "" {
				t.Fatalf("no access token: %v", body)
			}
		})
	}
}

// Mirrors RFC 6749 request errors on the token endpoint.
func TestTokenEndpointBadRequests(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"no grant_type", formOf("code", "x"), "invalid_request"},
		{"unknown grant_type", formOf("grant_type", "password"), "unsupported_grant_type"},
		{"authorization_code without code", formOf("grant_type", "authorization_code"), "invalid_request"},
		{"refresh_token without token", formOf("grant_type", "refresh_token"), "invalid_request"},
		{"unknown refresh token", formOf("grant_type", "refresh_token", "refresh_token", "AB11guess"), "invalid_grant"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.postForm(t, "/oauth2/v1/tokens/bearer", testClientID, testClientSecret, tt.form, nil)
			body := decodeBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || body["error"] != tt.want || body["error_description"] == "" {
				t.Fatalf("got %d %v, want 400 %s with a description", resp.StatusCode, body, tt.want)
			}
		})
	}
}

// Mirrors Intuit's two published revocation URLs (SDK constant and discovery
// document) and RFC 7009: revoking an access token ends its connection too.
func TestRevokeByAccessTokenOnV2Path(t *testing.T) {
	h := newHarness(t)
	_, tok := h.connect(t)
	resp := h.postForm(t, "/v2/oauth2/tokens/revoke", testClientID, testClientSecret, formOf("token", tok.AccessToken), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke status = %d", resp.StatusCode)
	}
	if _, err := h.srv.Authenticate(tok.AccessToken); err != ErrInvalid {
		t.Errorf("Authenticate after revoke = %v, want ErrInvalid", err)
	}
	_, err := h.refresh(context.Background(), tok.RefreshToken)
	wantOAuthError(t, err, http.StatusBadRequest, "invalid_grant")

	t.Run("revoke needs client auth", func(t *testing.T) {
		resp := h.postForm(t, "/oauth2/v1/tokens/revoke", testClientID, "wrong", formOf("token", "x"), nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("revoke without token is invalid_request", func(t *testing.T) {
		resp := h.postForm(t, "/oauth2/v1/tokens/revoke", testClientID, testClientSecret, url.Values{}, nil)
		if body := decodeBody(t, resp); resp.StatusCode != 400 || body["error"] != "invalid_request" {
			t.Fatalf("got %d %v", resp.StatusCode, body)
		}
	})
}

// Mirrors Intuit's consent page: bad client_id or redirect_uri is an error
// page, other faults come back on the redirect as error=...; the realm
// parameter picks an existing company.
func TestAuthorizeRequests(t *testing.T) {
	h := newHarness(t)
	existing, _ := h.realm.ResolveRealm("")
	base := formOf("client_id", testClientID, "redirect_uri", testRedirect, "response_type", "code",
		"scope", "openid "+accountingScope, "state", "st")
	tests := []struct {
		name      string
		change    url.Values
		wantPage  bool   // 400 error page, no redirect
		wantError string // error= on the redirect, "" for success
		wantRealm string
	}{
		{name: "new company", change: nil},
		{name: "existing company", change: formOf("realm", existing), wantRealm: existing},
		{name: "unknown company", change: formOf("realm", "404"), wantError: "access_denied"},
		{name: "wrong client_id", change: formOf("client_id", "x"), wantPage: true},
		{name: "missing redirect_uri", change: formOf("redirect_uri", ""), wantPage: true},
		{name: "relative redirect_uri", change: formOf("redirect_uri", "/cb"), wantPage: true},
		{name: "redirect_uri with fragment", change: formOf("redirect_uri", testRedirect+"#x"), wantPage: true},
		{name: "response_type token", change: formOf("response_type", "token"), wantError: "unsupported_response_type"},
		{name: "no accounting scope", change: formOf("scope", "openid"), wantError: "invalid_scope"},
		{name: "no state", change: formOf("state", ""), wantError: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			for k, v := range tt.change {
				q[k] = v
			}
			resp := h.get(t, h.ts.URL+"/connect/oauth2?"+q.Encode())
			if tt.wantPage {
				if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("got %d %s, want a 400 error page", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				return
			}
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status = %d, want 302", resp.StatusCode)
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			cb := loc.Query()
			if cb.Get("error") != tt.wantError {
				t.Fatalf("callback = %v, want error %q", cb, tt.wantError)
			}
			if tt.wantError != "" {
				if cb.Get("code") != "" {
					t.Fatalf("error callback carries a code: %v", cb)
				}
				return
			}
			if cb.Get("code") == "" || cb.Get("state") != "st" || cb.Get("realmId") == "" {
				t.Fatalf("callback = %v", cb)
			}
			if tt.wantRealm != "" && cb.Get("realmId") != tt.wantRealm {
				t.Fatalf("realmId = %s, want %s", cb.Get("realmId"), tt.wantRealm)
			}
			if tt.wantRealm == "" && cb.Get("realmId") == existing {
				t.Fatal("a consent without realm reused an existing company")
			}
		})
	}
}
