package qboauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/qbosync/qbosync/internal/store"
)

// Scope is Intuit's scope for the Accounting API.
const Scope = "com.intuit.quickbooks.accounting"

// refreshMargin: access tokens are refreshed this long before they expire,
// so a sync never starts with a token that dies mid-batch.
const refreshMargin = 5 * time.Minute

// ErrNotConnected: the tenant has no usable QBO connection.
var ErrNotConnected = errors.New("quickbooks not connected")

// ErrReconnect: Intuit refused the refresh token (invalid_grant); only an
// admin's reconnect can restore the connection.
var ErrReconnect = errors.New("quickbooks connection needs reconnecting")

// Connections is the persistence the connector needs.
type Connections interface {
	// Connection returns store.ErrNotFound if the tenant never connected.
	Connection(ctx context.Context, tenant string) (store.Connection, error)
	// SaveConnection fails with store.ErrConflict if c.Rev is not current.
	SaveConnection(ctx context.Context, c store.Connection) (store.Connection, error)
}

// Config holds Intuit's endpoints (configurable so the simulator can serve
// them) and the app's credentials.
type Config struct {
	ClientID, ClientSecret string
	AuthURL, TokenURL      string
	RedirectURL            string
	StateKey               []byte
	HTTPClient             *http.Client // for token calls; nil: http.DefaultClient
	Now                    func() time.Time
}

// Connector runs the connect flow and keeps tokens fresh.
type Connector struct {
	oauth *oauth2.Config
	conns Connections
	cfg   Config
}

// New returns a Connector.
func New(cfg Config, conns Connections) *Connector {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Connector{
		oauth: &oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Scopes:   []string{Scope},
			Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		},
		conns: conns, cfg: cfg,
	}
}

func (c *Connector) ctx(ctx context.Context) context.Context {
	if c.cfg.HTTPClient == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
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
// redirect is used when no redirect URL is configured.
func (c *Connector) ConnectURL(tenant, redirect string) (string, error) {
	state, err := signState(c.cfg.StateKey, tenant, c.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("sign state: %w", err)
	}
	return c.withRedirect(redirect).AuthCodeURL(state), nil
}

// Callback completes the flow: it checks state, exchanges code and stores
// realmID and the tokens. It returns the tenant the state named.
func (c *Connector) Callback(ctx context.Context, code, realmID, state, redirect string) (string, error) {
	tenant, err := verifyState(c.cfg.StateKey, state, c.cfg.Now())
	if err != nil {
		return "", err
	}
	if code == "" || realmID == "" {
		return "", fmt.Errorf("callback for %s: missing code or realmId", tenant)
	}
	tok, err := c.withRedirect(redirect).Exchange(c.ctx(ctx), code)
	if err != nil {
		return "", fmt.Errorf("exchange code for %s: %w", tenant, err)
	}
	prev, err := c.conns.Connection(ctx, tenant)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	conn := c.fromToken(prev, tok)
	conn.Tenant, conn.RealmID, conn.Status, conn.ConnectedAt = tenant, realmID, store.ConnConnected, c.cfg.Now()
	if _, err := c.conns.SaveConnection(ctx, conn); err != nil {
		return "", fmt.Errorf("save connection of %s: %w", tenant, err)
	}
	return tenant, nil
}

// fromToken copies a token response onto a connection.
func (c *Connector) fromToken(conn store.Connection, tok *oauth2.Token) store.Connection {
	conn.AccessToken, conn.AccessExpiresAt = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		conn.RefreshToken = tok.RefreshToken
	}
	if secs, ok := extraSeconds(tok, "x_refresh_token_expires_in"); ok {
		conn.RefreshExpiresAt = c.cfg.Now().Add(time.Duration(secs) * time.Second)
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
