package syncer

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Realms keeps each QBO company under Intuit's limits.
type Realms interface {
	// TakeRequest counts one request against the realm's budget for the
	// current minute, or reports that the budget is spent until retryAt.
	TakeRequest(ctx context.Context, realm string, limit int) (ok bool, retryAt time.Time, err error)
	ThrottleRealm(ctx context.Context, realm string, until time.Time) error
	RealmThrottledUntil(ctx context.Context, realm string) (time.Time, error)
}

// Limits of Intuit's Accounting API per realm (500 requests a minute),
// with headroom; after a 429 Intuit asks for 60 s of quiet.
const (
	DefaultRequestsPerMinute = 450
	defaultThrottleBackoff   = 60 * time.Second
	// maxBudgetWait: a request waits this long for the next minute's
	// budget; beyond it the message goes back to the queue.
	maxBudgetWait = 3 * time.Second
)

// ThrottledError means the realm is backed off or out of budget: the
// entity stays queued (not a warning) and is retried after Until.
type ThrottledError struct {
	Realm string
	Until time.Time
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("quickbooks company %s is throttled until %s", e.Realm, e.Until.UTC().Format(time.RFC3339))
}

// limited is an http.RoundTripper that spends the realm's request budget
// before each QBO call and records Intuit's 429s, so throttling is a
// scheduling input rather than something discovered call by call.
type limited struct {
	base    http.RoundTripper
	realms  Realms
	realm   string
	limit   int
	backoff time.Duration
	now     func() time.Time
}

func (l limited) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for {
		ok, retryAt, err := l.realms.TakeRequest(ctx, l.realm, l.limit)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		wait := retryAt.Sub(l.now())
		if wait > maxBudgetWait {
			return nil, &ThrottledError{Realm: l.realm, Until: retryAt}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	resp, err := l.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if terr := l.realms.ThrottleRealm(ctx, l.realm, l.now().Add(l.backoff)); terr != nil {
			resp.Body.Close()
			return nil, terr
		}
	}
	return resp, err
}
