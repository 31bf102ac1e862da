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
	var srv *qbosim.Server
	oauth := intuitoauth.New(intuitoauth.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Now: o.Now},
		realmResolver(func(requested string) (string, error) { return srv.ResolveRealm(requested) }))
	srv = qbosim.New(qbosim.Config{
		Auth:          auth{oauth},
		CheckSchema:   qboschema.Check,
		ReadOnly:      qboschema.ReadOnly,
		RatePerMinute: o.RatePerMinute,
		MaxConcurrent: o.MaxConcurrent,
		Latency:       o.Latency,
		HangTimeout:   o.HangTimeout,
		Now:           o.Now,
		Sleep:         o.Sleep,
		Logger:        o.Logger,
	})
	return srv
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
