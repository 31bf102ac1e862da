package intuitoauth

import (
	"crypto/subtle"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// accountingScope is the scope an Accounting API connection needs.
const accountingScope = "com.intuit.quickbooks.accounting"

// authorize is the consent page. The simulated user consents at once, so a
// valid request is answered with the redirect Intuit sends after "Connect".
//
// As RFC 6749 §4.1.2.1 requires, a bad client_id or redirect_uri is shown to
// the user as an error page instead of being sent to a redirect_uri that
// cannot be trusted; every other problem goes back to the client as
// error=... on the redirect.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !equalSecret(q.Get("client_id"), s.cfg.ClientID) {
		errorPage(w, "invalid_client", "The client_id is not registered with this app.")
		return
	}
	redirect, err := parseRedirectURI(q.Get("redirect_uri"))
	if err != nil {
		errorPage(w, "invalid_request", "The redirect_uri query parameter value is invalid: "+err.Error())
		return
	}
	state := q.Get("state")
	fail := func(code, description string) {
		v := redirect.Query()
		v.Set("error", code)
		v.Set("error_description", description)
		if state != "" {
			v.Set("state", state)
		}
		redirect.RawQuery = v.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), accountingScope):
		fail("invalid_scope", "scope must include "+accountingScope)
		return
	case state == "":
		fail("invalid_request", "state is required")
		return
	}
	requested := q.Get("realm")
	realm, err := s.realms.ResolveRealm(requested)
	if err != nil {
		if requested != "" {
			fail("access_denied", "the user has no access to company "+requested)
		} else {
			fail("server_error", "the company could not be created")
		}
		return
	}
	v := redirect.Query()
	v.Set("code", s.newCode(realm, q.Get("redirect_uri")))
	v.Set("state", state)
	v.Set("realmId", realm)
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// parseRedirectURI accepts the absolute http(s) URIs without fragment that
// RFC 6749 §3.1.2 allows. The simulator has no app settings page, so any
// such URI counts as registered; the token endpoint still insists on the
// same value.
func parseRedirectURI(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URI")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("not an absolute http(s) URI")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("must not contain a fragment")
	}
	return u, nil
}

func errorPage(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>Intuit</title></head><body>\n"+
		"<h1>Oops! An error occurred.</h1>\n<p>Error: %s</p>\n<p>%s</p>\n</body></html>\n",
		html.EscapeString(code), html.EscapeString(description))
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
