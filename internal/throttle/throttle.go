// Package throttle keeps each QuickBooks company under Intuit's request
// limits. Every Accounting API call, whichever function makes it, spends
// the realm's budget for the minute first, so throttling is planned for
// rather than discovered through 429s; a 429 still rests the realm.
package throttle

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Realms stores each realm's budget and rest.
type Realms interface {
	// TakeRequest counts one request against the realm's budget for the
	// current minute, or reports that the budget is spent until retryAt.
	TakeRequest(ctx context.Context, realm string, limit int) (ok bool, retryAt time.Time, err error)
	ThrottleRealm(ctx context.Context, realm string, until time.Time) error
}

// Limits of Intuit's Accounting API per realm (500 requests a minute),
// with headroom; after a 429 Intuit asks for 60 s of quiet.
const (
	DefaultRequestsPerMinute = 450
	DefaultBackoff           = 60 * time.Second
	// maxWait: a request waits this long for the next minute's budget;
	// beyond it the caller gets an *Error to reschedule on.
	maxWait = 3 * time.Second
)

// Error means the realm is backed off or out of budget until Until.
type Error struct {
	Realm string
	Until time.Time
}

func (e *Error) Error() string {
	return fmt.Sprintf("quickbooks company %s is throttled until %s", e.Realm, e.Until.UTC().Format(time.RFC3339))
}

// Transport is an http.RoundTripper for Accounting API calls
// (.../v3/company/{realm}/...): it spends the realm named in the path
// before each call and records Intuit's 429s. Other requests pass through.
type Transport struct {
	Base   http.RoundTripper // nil: http.DefaultTransport
	Realms Realms
	// Limit is the requests per minute per realm; 0 means the default.
	Limit int
	// Backoff is the realm's rest after a 429; 0 means 60 s.
	Backoff time.Duration
	Now     func() time.Time // nil: time.Now
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	realm := RealmOf(req.URL.Path)
	if realm == "" {
		return base.RoundTrip(req)
	}
	if err := t.take(req.Context(), realm); err != nil {
		return nil, err
	}
	resp, err := base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		backoff := t.Backoff
		if backoff == 0 {
			backoff = DefaultBackoff
		}
		if terr := t.Realms.ThrottleRealm(req.Context(), realm, t.now().Add(backoff)); terr != nil {
			resp.Body.Close()
			return nil, terr
		}
	}
	return resp, err
}

func (t *Transport) take(ctx context.Context, realm string) error {
	limit := t.Limit
	if limit == 0 {
		limit = DefaultRequestsPerMinute
	}
	for {
		ok, retryAt, err := t.Realms.TakeRequest(ctx, realm, limit)
		if err != nil || ok {
			return err
		}
		wait := retryAt.Sub(t.now())
		if wait > maxWait {
			return &Error{Realm: realm, Until: retryAt}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (t *Transport) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// RealmOf returns the realm of an Accounting API path, "" for others.
func RealmOf(path string) string {
	_, rest, ok := strings.Cut(path, "/v3/company/")
	if !ok {
		return ""
	}
	realm, _, _ := strings.Cut(rest, "/")
	return realm
}
