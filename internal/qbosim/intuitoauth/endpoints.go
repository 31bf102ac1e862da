package intuitoauth

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// hardExpiryHeader asks the token endpoint to report the refresh token's
// five-year hard expiry alongside the rolling one.
const hardExpiryHeader = "x-include-refresh-token-hard-expires-in"

// tokenResponse is the body of a successful token-endpoint call in Intuit's
// field order.
type tokenResponse struct {
	TokenType                  string `json:"token_type"`
	ExpiresIn                  int64  `json:"expires_in"`
	RefreshToken               string `json:"refresh_token"`
	XRefreshTokenExpiresIn     int64  `json:"x_refresh_token_expires_in"`
	XRefreshTokenHardExpiresIn *int64 `json:"x_refresh_token_hard_expires_in,omitempty"`
	AccessToken                string `json:"access_token"`
}

// token serves both grants Intuit supports on its bearer endpoint.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if !s.clientAuthenticated(w, r) {
		return
	}
	var (
		out issued
		err error
	)
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		code := r.PostForm.Get("code")
		if code == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "code is required")
			return
		}
		out, err = s.exchangeCode(code, r.PostForm.Get("redirect_uri"))
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if rt == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
			return
		}
		out, err = s.refresh(rt)
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type "+gt)
		return
	}
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	resp := tokenResponse{
		TokenType:              "bearer",
		ExpiresIn:              out.ExpiresIn,
		RefreshToken:           out.RefreshToken,
		XRefreshTokenExpiresIn: out.refreshExpiresIn,
		AccessToken:            out.AccessToken,
	}
	if strings.EqualFold(r.Header.Get(hardExpiryHeader), "true") {
		resp.XRefreshTokenHardExpiresIn = &out.hardExpiresIn
	}
	writeJSON(w, http.StatusOK, resp)
}

// revoke ends a connection. Intuit's SDKs send {"token": ...} as JSON; the
// RFC 7009 form body is accepted too. As RFC 7009 §2.2 says, an unknown
// token is not an error: the caller wanted it gone and it is.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	var token string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body struct {
			Token string `json:"token"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be a JSON object with a token")
			return
		}
		token = body.Token
	} else if err := r.ParseForm(); err == nil {
		token = r.PostForm.Get("token")
	}
	if !s.clientAuthenticated(w, r) {
		return
	}
	if token == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return
	}
	s.revokeToken(token)
	writeJSON(w, http.StatusOK, map[string]string{"statuscode": "200"})
}

// clientAuthenticated checks client_secret_basic, falling back to
// client_secret_post, and answers 401 invalid_client itself on failure.
func (s *Server) clientAuthenticated(w http.ResponseWriter, r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1 form-encodes both before Basic encoding; clients
		// that skip it send the same bytes for Intuit's alphanumeric ids.
		id, secret = formDecode(id), formDecode(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	idOK := equalSecret(id, s.cfg.ClientID)
	secretOK := equalSecret(secret, s.cfg.ClientSecret)
	if id != "" && idOK && secretOK {
		return true
	}
	if basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="Intuit"`)
	}
	oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
	return false
}

func formDecode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}
