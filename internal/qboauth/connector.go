package qboauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/store"
)

// Scope is Intuit's scope for the Accounting API.
const Scope = "com.intuit.quickbooks.accounting"

// refreshMargin: access tokens are refreshed this long before they expire,
// so a sync never starts with a token that dies mid-batch.
const refreshMargin = 5 * time.Minute

// The connection's errors are package record's, so the sync engine tests
// them without depending on this package.
var (
	ErrNotConnected = record.ErrNotConnected
	ErrReconnect    = record.ErrReconnect
)

// Store is the persistence the connector needs (store.Store).
type Store interface {
	// Connection returns store.ErrNotFound if the tenant never connected.
	Connection(ctx context.Context, tenant string) (store.Connection, error)
	// SaveConnection fails with store.ErrConflict if c.Rev is not current.
	SaveConnection(ctx context.Context, c store.Connection) (store.Connection, error)
	AcquireRefreshLease(ctx context.Context, tenant, owner string, ttl time.Duration) (bool, error)
	ReleaseRefreshLease(ctx context.Context, tenant, owner string) error
	ForgetLinks(ctx context.Context, tenant string) (int, error)
	EntitiesByStatus(ctx context.Context, tenant string, st store.Status, kind billing.Kind) ([]store.EntityState, error)
	// ConsumeState fails with store.ErrStateUsed on a state's second use.
	ConsumeState(ctx context.Context, tenant, nonce string, expires time.Time) error
	// ClaimRealm fails with *store.RealmTakenError for another tenant's company.
	ClaimRealm(ctx context.Context, realm, tenant string) error
	ReleaseRealm(ctx context.Context, realm, tenant string) error
}

// GrantChecker reads a company with a newly issued access token; an
// error means the token does not open that company.
type GrantChecker func(ctx context.Context, realmID, accessToken string) error

// Publisher queues entities again after a reconnect.
type Publisher interface {
	Publish(ctx context.Context, m queue.Message) error
}

// Config holds Intuit's endpoints (configurable so the simulator can serve
// them) and the app's credentials.
type Config struct {
	ClientID, ClientSecret string
	AuthURL, TokenURL      string
	RevokeURL              string
	RedirectURL            string
	// StateKey signs OAuth states and confirmation tokens.
	StateKey []byte
	// CheckGrant proves a new grant opens the company the callback names
	// (nil: trust the callback's realmId, for unit tests only).
	CheckGrant GrantChecker
	HTTPClient *http.Client // for token calls; nil: http.DefaultClient
	Now        func() time.Time
	Log        *slog.Logger
}

// Connector runs the connect flow and keeps tokens fresh.
type Connector struct {
	oauth *oauth2.Config
	store Store
	queue Publisher
	cfg   Config
	hc    *http.Client
}

// New returns a Connector. q may be nil when the caller never completes a
// connect (the sync functions only refresh).
func New(cfg Config, s Store, q Publisher) *Connector {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	base := cfg.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	// Every token-endpoint call asks for the five-year hard expiry too.
	hc := &http.Client{Timeout: base.Timeout, Transport: headerTransport{next: next,
		name: "x-include-refresh-token-hard-expires-in", value: "true"}}
	return &Connector{
		oauth: &oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Scopes:   []string{Scope},
			Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		},
		store: s, queue: q, cfg: cfg, hc: hc,
	}
}

type headerTransport struct {
	next        http.RoundTripper
	name, value string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(t.name, t.value)
	return t.next.RoundTrip(r)
}

func (c *Connector) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.hc)
}

// withRedirect returns the OAuth config using redirect when no redirect
// URL was configured (the API's own URL is only known per request).
func (c *Connector) withRedirect(redirect string) *oauth2.Config {
	if c.oauth.RedirectURL != "" || redirect == "" {
		return c.oauth
	}
	o := *c.oauth
	o.RedirectURL = redirect
	return &o
}

// ConnectURL returns Intuit's consent URL for tenant with a signed state.
// reset allows the consent to pick another company than the connected
// one (its links are then forgotten). redirect is used when no redirect
// URL is configured.
func (c *Connector) ConnectURL(tenant string, reset bool, redirect string) (string, error) {
	action := actConnect
	if reset {
		action = actConnectReset
	}
	state, err := signState(c.cfg.StateKey, tenant, action, c.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("sign state: %w", err)
	}
	return c.withRedirect(redirect).AuthCodeURL(state), nil
}

// fromToken copies a token response onto a connection.
func (c *Connector) fromToken(conn store.Connection, tok *oauth2.Token) store.Connection {
	conn.AccessToken, conn.AccessExpiresAt = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		conn.RefreshToken = tok.RefreshToken
	}
	now := c.cfg.Now()
	if secs, ok := extraSeconds(tok, "x_refresh_token_expires_in"); ok {
		conn.RefreshExpiresAt = now.Add(time.Duration(secs) * time.Second)
	}
	if secs, ok := extraSeconds(tok, "x_refresh_token_hard_expires_in"); ok {
		conn.RefreshHardExpiresAt = now.Add(time.Duration(secs) * time.Second)
	}
	return conn
}

func extraSeconds(tok *oauth2.Token, name string) (int64, bool) {
	switch v := tok.Extra(name).(type) {
	case float64: // encoding/json's number type; seconds are whole
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}
