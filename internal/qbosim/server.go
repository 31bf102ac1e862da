package qbosim

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// Intuit's documented limits per realm.
const (
	DefaultRatePerMinute = 500
	DefaultMaxConcurrent = 10
	// DefaultHangTimeout is how long an injected timeout holds a request
	// before answering 504: QuickBooks abandons requests after 120 s.
	DefaultHangTimeout = 120 * time.Second
)

// ErrTokenExpired is what Auth.Authenticate returns (possibly wrapped) for an
// access token that was valid but has expired; any other error means the
// token is unknown or revoked.
var ErrTokenExpired = errors.New("access token expired")

// Auth is the OAuth server the API trusts for bearer tokens.
type Auth interface {
	// Handler serves the OAuth endpoints (/connect/oauth2, /oauth2/v1/...).
	Handler() http.Handler
	// Authenticate returns the realm an access token was issued for.
	Authenticate(bearer string) (realmID string, err error)
	// Issue makes a new token pair for a realm, as a completed consent would.
	Issue(realmID string) Tokens
	// ExpireRealm makes every access token of the realm expire now.
	ExpireRealm(realmID string)
}

// Tokens is a token pair as Auth issues it.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int64
}

// Config configures a Server.
type Config struct {
	// Auth checks bearer tokens and serves OAuth. Required.
	Auth Auth
	// CheckSchema reports a property Intuit's schema does not define for an
	// entity (ok=false and its path). Required.
	CheckSchema func(entity string, body map[string]any) (badPath string, ok bool)
	// ReadOnly reports a property path the schema marks read-only; such
	// properties are ignored on input. Optional.
	ReadOnly func(entity, path string) bool

	// RatePerMinute and MaxConcurrent limit each realm; 0 means Intuit's
	// limits (500 per minute, 10 in flight), negative means unlimited.
	RatePerMinute int
	MaxConcurrent int
	// Latency is added to every API request.
	Latency time.Duration
	// HangTimeout bounds an injected timeout; 0 means DefaultHangTimeout.
	HangTimeout time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Advance moves Now forward, for POST /_sim/clock; nil leaves the
	// clock out of the control surface.
	Advance func(d time.Duration)
	// Sleep waits for latency; nil waits on a real timer. Tests replace it
	// to avoid waiting.
	Sleep func(ctx context.Context, d time.Duration)
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
}

// Server is the simulator. It is safe for concurrent use.
type Server struct {
	cfg    Config
	limits limits
	schema schema

	hooks *webhooks

	mu        sync.RWMutex
	companies map[string]*company
}

// New returns a server with no companies.
func New(cfg Config) *Server {
	if cfg.Auth == nil || cfg.CheckSchema == nil {
		panic("qbosim: Config.Auth and Config.CheckSchema are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.HangTimeout == 0 {
		cfg.HangTimeout = DefaultHangTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{
		cfg:       cfg,
		limits:    limits{perMinute: orDefault(cfg.RatePerMinute, DefaultRatePerMinute), maxConcurrent: orDefault(cfg.MaxConcurrent, DefaultMaxConcurrent)},
		schema:    schema{check: cfg.CheckSchema, readOnly: cfg.ReadOnly},
		hooks:     newWebhooks(cfg.Now, cfg.Sleep),
		companies: make(map[string]*company),
	}
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Handler serves OAuth, the Accounting API under /v3/company/ and the
// control surface under /_sim/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	oauth := s.cfg.Auth.Handler()
	mux.Handle("/connect/", oauth)
	mux.Handle("/oauth2/", oauth)
	mux.Handle("/v2/oauth2/", oauth)
	mux.Handle("/.well-known/", oauth)
	mux.HandleFunc("/v3/company/{realm}/{rest...}", s.serveAPI)
	s.controlRoutes(mux)
	return mux
}

// ResolveRealm is the OAuth consent's choice of company: the requested one
// if it exists, else a new US company.
func (s *Server) ResolveRealm(requested string) (string, error) {
	if requested != "" {
		if s.company(requested) == nil {
			return "", fmt.Errorf("resolve realm %s: no such company", requested)
		}
		return requested, nil
	}
	c, err := s.CreateCompany("", "US", "")
	if err != nil {
		return "", err
	}
	return c, nil
}

// CreateCompany makes a company and returns its realm id. Empty name,
// country or currency take defaults ("Sandbox Company", "US", the country's
// currency).
func (s *Server) CreateCompany(name, country, currency string) (string, error) {
	if country == "" {
		country = "US"
	}
	if currency == "" {
		currency = countryCurrency(country)
		if currency == "" {
			return "", fmt.Errorf("create company: no default currency for country %q; send currency", country)
		}
	}
	if currencyName(currency) == "" {
		return "", fmt.Errorf("create company: currency %q is not supported", currency)
	}
	if name == "" {
		name = "Sandbox Company_" + country
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	realm := newRealmID()
	for s.companies[realm] != nil {
		realm = newRealmID()
	}
	c := newCompany(realm, name, country, currency, s.cfg.Now())
	c.schema = s.schema
	s.companies[realm] = c
	return realm, nil
}

func (s *Server) company(realm string) *company {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.companies[realm]
}

// newRealmID returns a 16-digit company id like Intuit's sandbox realms.
func newRealmID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(9e14))
	return fmt.Sprintf("9341%012d", n.Int64()%1e12)
}
