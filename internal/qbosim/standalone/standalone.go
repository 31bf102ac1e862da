// Package standalone assembles a complete QuickBooks Online simulator: the
// Accounting API of package qbosim, Intuit's OAuth server from intuitoauth
// and the property table from qboschema. The command infra/qbosim and the
// in-process test server both start from here.
package standalone

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/intuitoauth"
	"github.com/qbosync/qbosync/internal/qbosim/qboschema"
)

// Default OAuth client of the simulator.
const (
	DefaultClientID     = "qbosim-client"
	DefaultClientSecret = "qbosim-secret"
)

// Options configure a simulator; zero values take the defaults.
type Options struct {
	ClientID      string
	ClientSecret  string
	RatePerMinute int // 0: Intuit's 500; negative: unlimited
	MaxConcurrent int // 0: Intuit's 10; negative: unlimited
	Latency       time.Duration
	HangTimeout   time.Duration
	Now           func() time.Time
	Sleep         func(ctx context.Context, d time.Duration)
	Logger        *slog.Logger
}

// New returns a simulator with OAuth and schema checking wired in.
func New(o Options) *qbosim.Server {
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	// The OAuth server asks the simulator which company a consent is for,
	// and the simulator asks the OAuth server about tokens: the realm
	// resolver closes over the server built just below.
	clock := &shiftedClock{base: o.Now}
	if clock.base == nil {
		clock.base = time.Now
	}
	var srv *qbosim.Server
	oauth := intuitoauth.New(intuitoauth.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Now: clock.Now},
		realmResolver(func(requested string) (string, error) { return srv.ResolveRealm(requested) }))
	srv = qbosim.New(qbosim.Config{
		Auth:          auth{oauth},
		CheckSchema:   qboschema.Check,
		ReadOnly:      qboschema.ReadOnly,
		RatePerMinute: o.RatePerMinute,
		MaxConcurrent: o.MaxConcurrent,
		Latency:       o.Latency,
		HangTimeout:   o.HangTimeout,
		Now:           clock.Now,
		Advance:       clock.Advance,
		Sleep:         o.Sleep,
		Logger:        o.Logger,
	})
	return srv
}

// shiftedClock is the caller's clock moved forward by POST /_sim/clock;
// the OAuth server and the API share it.
type shiftedClock struct {
	base func() time.Time

	mu    sync.Mutex
	shift time.Duration
}

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base().Add(c.shift)
}

func (c *shiftedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.shift += d
	c.mu.Unlock()
}

type realmResolver func(requested string) (string, error)

func (f realmResolver) ResolveRealm(requested string) (string, error) { return f(requested) }

// auth adapts intuitoauth.Server to qbosim.Auth.
type auth struct{ s *intuitoauth.Server }

func (a auth) Handler() http.Handler    { return a.s.Handler() }
func (a auth) ExpireRealm(realm string) { a.s.ExpireRealm(realm) }

func (a auth) Authenticate(bearer string) (string, error) {
	realm, err := a.s.Authenticate(bearer)
	if errors.Is(err, intuitoauth.ErrExpired) {
		return "", qbosim.ErrTokenExpired
	}
	return realm, err
}

func (a auth) Issue(realm string) qbosim.Tokens {
	t := a.s.Issue(realm)
	return qbosim.Tokens{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn}
}
