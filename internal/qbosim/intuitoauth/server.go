package intuitoauth

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Config holds the one client the simulator knows and its clock.
type Config struct {
	ClientID     string
	ClientSecret string
	// Now is the clock every lifetime is measured by; nil means time.Now.
	Now func() time.Time
}

// Realms finds or creates the company a consent is given for.
type Realms interface {
	// ResolveRealm returns requested when it names an existing company, or
	// makes a new company when requested is empty.
	ResolveRealm(requested string) (realmID string, err error)
}

// Tokens is a freshly issued token pair.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64
}

// Lifetimes Intuit documents or reports on its token endpoint.
const (
	accessTTL      = 3600 * time.Second
	codeTTL        = 10 * time.Minute
	refreshTTL     = 8726400 * time.Second // 101 days, rolling
	refreshHardTTL = 5 * 365 * 24 * time.Hour
	// rotateAfter is how long a refresh keeps returning the same refresh
	// token; Intuit staff put the value's life at roughly 24 hours.
	rotateAfter = 24 * time.Hour
)

// Server is the OAuth server. It is safe for concurrent use.
type Server struct {
	cfg    Config
	realms Realms

	mu        sync.Mutex
	codes     map[string]*authCode
	grants    map[string]*grant // by current refresh token
	access    map[string]*accessToken
	refreshes map[string]int // successful refresh grants per realm
	sweepAt   int            // len(access) that triggers the next sweep
}

// New returns a server that accepts the client in cfg and asks realms which
// company a consent belongs to.
func New(cfg Config, realms Realms) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{
		cfg:       cfg,
		realms:    realms,
		codes:     make(map[string]*authCode),
		grants:    make(map[string]*grant),
		access:    make(map[string]*accessToken),
		refreshes: make(map[string]int),
		sweepAt:   1024,
	}
}

// Handler serves the consent page, the token endpoint and both revocation
// paths Intuit publishes (the SDK constant and the discovery document differ).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connect/oauth2", s.authorize)
	mux.HandleFunc("POST /oauth2/v1/tokens/bearer", s.token)
	mux.HandleFunc("POST /oauth2/v1/tokens/revoke", s.revoke)
	mux.HandleFunc("POST /v2/oauth2/tokens/revoke", s.revoke)
	for _, p := range []string{"openid_configuration", "openid_sandbox_configuration"} {
		mux.HandleFunc("GET /.well-known/"+p, s.discovery)
		mux.HandleFunc("GET /.well-known/"+p+"/", s.discovery)
	}
	return withTID(mux)
}

// withTID stamps every response with an intuit_tid, the transaction id
// Intuit support asks integrators to quote.
func withTID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("intuit_tid", newTID())
		next.ServeHTTP(w, r)
	})
}

func newTID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return "1-" + h[:8] + "-" + h[8:]
}

// newSecret returns an opaque, unguessable token of 256 random bits.
func newSecret() string {
	return rand.Text() + rand.Text()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// oauthError writes the RFC 6749 error body Intuit's token endpoint returns.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}
