// Package qbosimtest runs the QuickBooks Online simulator in process for
// tests, the way net/http/httptest runs a server: a real HTTP listener with
// OAuth and Intuit's schema check wired in, closed when the test ends.
package qbosimtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// NewServer starts a simulator with Intuit's limits and the default OAuth
// client (standalone.DefaultClientID / DefaultClientSecret) and returns its
// base URL.
func NewServer(tb testing.TB) (url string, srv *qbosim.Server) {
	tb.Helper()
	return NewServerWith(tb, standalone.Options{})
}

// NewServerWith starts a simulator with options, e.g. a Clock's Now.
func NewServerWith(tb testing.TB, o standalone.Options) (url string, srv *qbosim.Server) {
	tb.Helper()
	srv = standalone.New(o)
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(ts.Close)
	return ts.URL, srv
}

// Company is a company created through the control surface, with a token
// pair for it.
type Company struct {
	RealmID      string `json:"realm_id"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// NewCompany creates a company via POST /_sim/companies. Empty country and
// currency take the simulator's defaults (US, the country's currency).
func NewCompany(tb testing.TB, baseURL, country, currency string) Company {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"name": "Test Company", "country": country, "currency": currency})
	res, err := http.Post(baseURL+"/_sim/companies", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("create company: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		tb.Fatalf("create company: status %d", res.StatusCode)
	}
	var c Company
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		tb.Fatalf("create company: decode: %v", err)
	}
	return c
}

// Clock is a settable clock for standalone.Options.Now. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
