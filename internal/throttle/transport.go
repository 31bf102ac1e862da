package throttle

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Transport is an http.RoundTripper for Accounting API calls
// (.../v3/company/{realm}/...): each call is admitted against its realm's
// schedule first and holds one of the realm's in-flight slots while it
// runs; a 429 rests the realm. Other requests pass through. It is safe for
// concurrent use: concurrent calls hold distinct slots.
type Transport struct {
	Base   http.RoundTripper // nil: http.DefaultTransport
	Realms Realms
	Policy Policy // zero: DefaultPolicy()
	// Backoff is the realm's rest after a 429; 0 means 60 s.
	Backoff time.Duration
	// MaxWait is how long a request waits for admission before it fails
	// with an *Error; 0 means DefaultMaxWait. A sync waits longer than an
	// admin's request: a deferral costs it a round of reads.
	MaxWait time.Duration
	Now     func() time.Time // nil: time.Now

	mu   sync.Mutex
	idle map[string][]*Grant // grants with requests left, not in use
	// pace is, per realm, the size of the next grant: one more than the
	// last one carried when it was used up, what it carried when its time
	// ran out first. A slow caller so holds few cells it cannot send.
	pace map[string]int
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.RoundTripAdmitted(req, nil)
}

// RoundTripAdmitted is RoundTrip calling admitted (when not nil) once the
// request is admitted, just before it is sent. If admitted fails, the
// request is not sent, its slot is given back and the error returned.
func (t *Transport) RoundTripAdmitted(req *http.Request, admitted func(context.Context) error) (*http.Response, error) {
	realm := RealmOf(req.URL.Path)
	if realm == "" {
		if admitted != nil {
			if err := admitted(req.Context()); err != nil {
				return nil, err
			}
		}
		return t.base().RoundTrip(req)
	}
	if strings.HasSuffix(req.URL.Path, "/batch") {
		return t.roundTripBatch(req, realm, admitted)
	}
	g, err := t.acquire(req.Context(), realm)
	if err != nil {
		return nil, err
	}
	return t.send(req, realm, g.Lease, admitted, func() { t.putBack(context.WithoutCancel(req.Context()), realm, g) })
}

// roundTripBatch sends a batch request on the company's batch schedule
// alone: the single requests' schedule leaves batches their cells, so a
// batch never queues behind single requests.
func (t *Transport) roundTripBatch(req *http.Request, realm string, admitted func(context.Context) error) (*http.Response, error) {
	bg, err := t.admitBatch(req.Context(), realm)
	if err != nil {
		return nil, err
	}
	return t.send(req, realm, bg.Lease, admitted, func() {
		_ = t.Realms.Release(context.WithoutCancel(req.Context()), batchKey(realm), bg, 0)
	})
}

// send sends an admitted request whose slot's lease ends at lease and
// calls done once it is over: not sent, failed, or its answer closed. A
// 429 rests the company.
func (t *Transport) send(req *http.Request, realm string, lease time.Time, admitted func(context.Context) error, done func()) (*http.Response, error) {
	if admitted != nil {
		if err := admitted(req.Context()); err != nil {
			done()
			return nil, err
		}
	}
	// The slot's lease must outlive the request.
	ctx, cancel := context.WithDeadline(req.Context(), lease)
	resp, err := t.base().RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		done()
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if terr := t.Realms.ThrottleRealm(req.Context(), realm, t.now().Add(t.backoff())); terr != nil {
			resp.Body.Close()
			cancel()
			done()
			return nil, terr
		}
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, done: func() {
		cancel()
		done()
	}}
	return resp, nil
}

// Flush releases every idle grant's slot: a function calls it when its
// invocation ends, so a frozen instance holds no slot.
func (t *Transport) Flush(ctx context.Context) {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for realm, gs := range idle {
		for _, g := range gs {
			t.release(ctx, realm, g)
		}
	}
}

// acquire takes an idle grant of realm with requests left, or a new one.
func (t *Transport) acquire(ctx context.Context, realm string) (*Grant, error) {
	if g := t.takeIdle(ctx, realm); g != nil {
		return g, nil
	}
	g, err := t.admit(ctx, realm, realm, t.policy(), t.want(realm), t.singleWait(ctx))
	if err != nil {
		return nil, err
	}
	return &g, nil
}

type admitByKey struct{}

// AdmitBy bounds the wait of ctx's single requests for admission: by
// returns, at the moment a request asks, the latest time it may be
// admitted. A caller with another way out at that time (a sync whose
// company's next bunch turn is then) is refused rather than admitted
// later than it.
func AdmitBy(ctx context.Context, by func(now time.Time) time.Time) context.Context {
	return context.WithValue(ctx, admitByKey{}, by)
}

// singleWait is how long a single request of ctx may wait for admission.
func (t *Transport) singleWait(ctx context.Context) time.Duration {
	wait := t.maxWait()
	if by, ok := ctx.Value(admitByKey{}).(func(time.Time) time.Time); ok {
		now := t.now()
		wait = min(wait, max(0, by(now).Sub(now)))
	}
	return wait
}

func batchKey(realm string) string { return realm + "/batch" }

type batchNowKey struct{}

// BatchNow marks ctx's batch requests as ones with another way out: when
// the company's batch schedule has no room at once, such a request fails
// at once with an *Error whose Batch is set, instead of waiting for it.
func BatchNow(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchNowKey{}, true)
}

// BatchPatience is how long a batch request not marked BatchNow waits for
// the company's batch schedule (a bunch's: its creates were turned away by
// the request schedule, and their next way out is 30 s later).
const BatchPatience = 15 * time.Second

// admitBatch admits one batch request of realm on its batch schedule.
func (t *Transport) admitBatch(ctx context.Context, realm string) (Grant, error) {
	p, wait := BatchPolicy(), max(t.maxWait(), BatchPatience)
	if now, _ := ctx.Value(batchNowKey{}).(bool); now {
		// A batch with another way out leaves the schedule's last cell of
		// burst to the batches that have none (a bunch's), so those never
		// queue behind it.
		p.Burst -= p.Interval
		wait = 0
	}
	g, err := t.admit(ctx, realm, batchKey(realm), p, 1, wait)
	var e *Error
	if errors.As(err, &e) && wait == 0 {
		e.Batch = true
	}
	return g, err
}

// admit asks the schedule stored under key for a grant of n, waiting up
// to wait in all; beyond it, or while realm rests, it fails with an
// *Error.
//
// A turn further off than now is booked in the same write (Policy.Queue:
// what is left of the wait), and the request sleeps until it: waiters
// cost the schedule one write each however many wait, where asking again
// would cost one per waiter at every turn.
func (t *Transport) admit(ctx context.Context, realm, key string, p Policy, n int, wait time.Duration) (Grant, error) {
	deadline := t.now().Add(wait)
	for {
		now := t.now()
		p.Queue = max(0, deadline.Sub(now))
		g, refused, err := t.Realms.Admit(ctx, key, p, n, now)
		if err == nil && refused == nil && g.Booked() {
			seated, err := t.seat(ctx, realm, key, p, g, deadline)
			if errors.Is(err, errExpired) {
				continue // book again, within what is left of the wait
			}
			return seated, err
		}
		if err == nil && refused == nil && !g.Start.IsZero() {
			if err := t.sleepUntil(ctx, g.Start); err != nil {
				_ = t.Realms.Release(context.WithoutCancel(ctx), key, g, 0)
				return Grant{}, err
			}
			g.Start = time.Time{}
		}
		if err != nil || refused == nil {
			return g, err
		}
		if refused.Resting {
			return Grant{}, &Error{Realm: realm, Until: refused.RetryAt, Resting: true}
		}
		if refused.RetryAt.After(deadline) {
			return Grant{}, &Error{Realm: realm, Until: refused.RetryAt}
		}
		if err := t.sleepUntil(ctx, refused.RetryAt); err != nil {
			return Grant{}, err
		}
	}
}

// seat waits for booked grant g's turn and takes a slot for it. A realm
// that rests meanwhile, or whose slots stay held past the deadline, fails
// with an *Error; slots held until the grant's time is over leave it
// unused (errExpired): its requests may not start later than planned, or
// they would crowd a later window.
func (t *Transport) seat(ctx context.Context, realm, key string, p Policy, g Grant, deadline time.Time) (Grant, error) {
	at := g.Start
	for {
		if err := t.sleepUntil(ctx, at); err != nil {
			return Grant{}, err
		}
		seated, refused, err := t.Realms.Seat(ctx, key, p, g, t.now())
		if err != nil || refused == nil {
			return seated, err
		}
		if refused.Resting || refused.RetryAt.After(deadline) {
			return Grant{}, &Error{Realm: realm, Until: refused.RetryAt, Resting: refused.Resting}
		}
		if !refused.RetryAt.Before(g.Expires) {
			return Grant{}, errExpired
		}
		at = refused.RetryAt
	}
}

// errExpired: a booked grant found no slot in its time.
var errExpired = errors.New("booked turn expired before a slot was free")

func (t *Transport) sleepUntil(ctx context.Context, at time.Time) error {
	d := at.Sub(t.now())
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// takeIdle returns an idle grant with a request left and time to start
// it, releasing the expired ones it meets.
func (t *Transport) takeIdle(ctx context.Context, realm string) *Grant {
	now := t.now()
	t.mu.Lock()
	if t.idle == nil {
		t.mu.Unlock()
		return nil
	}
	var expired []*Grant
	var found *Grant
	gs := t.idle[realm]
	for len(gs) > 0 {
		g := gs[len(gs)-1]
		gs = gs[:len(gs)-1]
		if now.Before(g.Expires) {
			found = g
			break
		}
		expired = append(expired, g)
	}
	t.idle[realm] = gs
	t.mu.Unlock()
	for _, g := range expired {
		t.release(ctx, realm, g)
	}
	return found
}

// putBack returns g to the idle grants, or releases its slot when its
// requests are used up or their time is over.
func (t *Transport) putBack(ctx context.Context, realm string, g *Grant) {
	g.N--
	g.used++
	if g.N <= 0 || !t.now().Before(g.Expires) {
		t.release(ctx, realm, g)
		return
	}
	t.mu.Lock()
	if t.idle == nil {
		t.idle = map[string][]*Grant{}
	}
	t.idle[realm] = append(t.idle[realm], g)
	t.mu.Unlock()
}

// release frees g's slot, giving back its unsent requests while the grant
// is current, and remembers its pace.
func (t *Transport) release(ctx context.Context, realm string, g *Grant) {
	var refund time.Duration
	current := t.now().Before(g.Expires)
	if current {
		refund = time.Duration(g.N) * t.policy().Interval
	}
	next := g.used
	if g.N <= 0 && current {
		next++
	}
	t.mu.Lock()
	if t.pace == nil {
		t.pace = map[string]int{}
	}
	t.pace[realm] = max(1, next)
	t.mu.Unlock()
	_ = t.Realms.Release(ctx, realm, *g, refund) // the lease frees it anyway
}

// want is the size of the next grant for realm.
func (t *Transport) want(realm string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.pace[realm]; ok {
		return n
	}
	return 2
}

func (t *Transport) policy() Policy {
	if t.Policy.Interval == 0 {
		return DefaultPolicy()
	}
	return t.Policy
}

func (t *Transport) maxWait() time.Duration {
	if t.MaxWait == 0 {
		return DefaultMaxWait
	}
	return t.MaxWait
}

func (t *Transport) backoff() time.Duration {
	if t.Backoff == 0 {
		return DefaultBackoff
	}
	return t.Backoff
}

func (t *Transport) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// releasingBody gives the request's slot back once its body is closed.
type releasingBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

func (t *Transport) base() http.RoundTripper {
	if t.Base == nil {
		return http.DefaultTransport
	}
	return t.Base
}
