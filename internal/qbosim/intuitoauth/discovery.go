package intuitoauth

import "net/http"

// discovery serves Intuit's OpenID discovery document with every endpoint
// pointing at this server, so a client that starts from discovery (as
// Intuit's own OAuth clients do) needs no other configuration. The fields
// are those of Intuit's document; the userinfo and jwks endpoints are
// listed but not served, as OpenID is not simulated.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/op/v1",
		"authorization_endpoint":                base + "/connect/oauth2",
		"token_endpoint":                        base + "/oauth2/v1/tokens/bearer",
		"userinfo_endpoint":                     base + "/v1/openid_connect/userinfo",
		"revocation_endpoint":                   base + "/oauth2/v1/tokens/revoke",
		"jwks_uri":                              base + "/op/v1/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile", "address", "phone"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"claims_supported":                      []string{"aud", "exp", "iat", "iss", "realmid", "sub"},
	})
}
