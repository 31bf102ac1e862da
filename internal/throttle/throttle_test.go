package throttle

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// memRealms keeps schedules in memory with the store's rules (Plan).
type memRealms struct {
	mu        sync.Mutex
	schedules map[string]*Schedule
	admits    int
	releases  int
	cells     int
	// asks counts every call that writes the schedule, refused or not:
	// what a store would be sent.
	asks int
}

func (m *memRealms) Admit(_ context.Context, realm string, p Policy, n int, now time.Time) (Grant, *Refusal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asks++
	if m.schedules == nil {
		m.schedules = map[string]*Schedule{}
	}
	s := m.schedules[realm]
	if s == nil {
		s = &Schedule{Slots: map[int]time.Time{}}
		m.schedules[realm] = s
	}
	g, tat, refused := p.Plan(*s, n, now)
	if refused != nil {
		return Grant{}, refused, nil
	}
	m.admits++
	m.cells += g.N
	s.TAT, g.TAT = tat, tat
	if !g.Booked() {
		s.Slots[g.Slot] = g.Lease
	}
	return g, nil, nil
}

func (m *memRealms) Seat(_ context.Context, realm string, p Policy, g Grant, now time.Time) (Grant, *Refusal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asks++
	s := m.schedules[realm]
	g, refused := p.Seat(*s, g, now)
	if refused != nil {
		return Grant{}, refused, nil
	}
	s.Slots[g.Slot] = g.Lease
	return g, nil, nil
}

func (m *memRealms) Release(_ context.Context, realm string, g Grant, refund time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.schedules[realm]; s != nil && s.Slots[g.Slot].Equal(g.Lease) {
		delete(s.Slots, g.Slot)
		if s.TAT.Equal(g.TAT) {
			s.TAT = s.TAT.Add(-refund)
		}
		m.releases++
	}
	return nil
}

func (m *memRealms) ThrottleRealm(_ context.Context, realm string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.schedules == nil {
		m.schedules = map[string]*Schedule{}
	}
	if m.schedules[realm] == nil {
		m.schedules[realm] = &Schedule{Slots: map[int]time.Time{}}
	}
	m.schedules[realm].RestUntil = until
	return nil
}

func TestDefaultPolicyStaysUnderIntuitsLimits(t *testing.T) {
	p := DefaultPolicy()
	worst := (intuitWindow + p.GrantLife + p.Burst) / p.Interval
	if worst > MaxPerMinute {
		t.Errorf("worst case %d requests in 60 s, want at most %d", worst, MaxPerMinute)
	}
	if both := p.PerMinute() + BatchPolicy().PerMinute(); both < 450 {
		t.Errorf("steady rate %d/min with batches, want at least 450 (Intuit allows 500)", both)
	}
	if p.Lease < p.GrantLife+RequestTimeout {
		t.Errorf("lease %v does not outlive a grant's last request (%v + %v)", p.Lease, p.GrantLife, RequestTimeout)
	}
}

// Many functions hammering one company for five virtual minutes, with
// requests of 50 to 800 ms (QuickBooks' usual answers): in every trailing 60 s at most 480 start
// and never more than 10 are in flight, and the steady rate is close to
// the policy's; so too when they book their turns ahead (Policy.Queue).
func TestScheduleHoldsIntuitsLimitsUnderContention(t *testing.T) {
	for _, queue := range []time.Duration{0, 10 * time.Second} {
		t.Run("queue "+queue.String(), func(t *testing.T) { holdsIntuitsLimits(t, queue) })
	}
}

func holdsIntuitsLimits(t *testing.T, queue time.Duration) {
	p := DefaultPolicy()
	p.Queue = queue
	realms := &memRealms{}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Unix(1_800_000_000, 0)
	const workers, step = 40, 10 * time.Millisecond
	type worker struct {
		g        *Grant
		used     int
		pace     int
		busyTill time.Time
		waitTill time.Time
	}
	ws := make([]worker, workers)
	for i := range ws {
		ws[i].pace = 2
	}
	var starts []time.Time
	type span struct{ from, to time.Time }
	var spans []span
	for now := start; now.Before(start.Add(5 * time.Minute)); now = now.Add(step) {
		for i := range ws {
			w := &ws[i]
			if now.Before(w.busyTill) || now.Before(w.waitTill) {
				continue
			}
			if w.g != nil && (w.g.N == 0 || !now.Before(w.g.Expires)) {
				var refund time.Duration
				if now.Before(w.g.Expires) {
					refund = time.Duration(w.g.N) * p.Interval
				}
				_ = realms.Release(context.Background(), "r", *w.g, refund)
				w.pace = max(1, w.used)
				if w.g.N == 0 {
					w.pace++
				}
				w.g = nil
			}
			if w.g == nil {
				g, refused, _ := realms.Admit(context.Background(), "r", p, w.pace, now)
				if refused != nil {
					w.waitTill = refused.RetryAt
					continue
				}
				w.g, w.used = &g, 0
				if g.Start.After(now) {
					w.waitTill = g.Start
					continue
				}
			}
			if w.g.Booked() {
				g, refused, _ := realms.Seat(context.Background(), "r", p, *w.g, now)
				if refused != nil {
					w.waitTill = refused.RetryAt
					continue
				}
				w.g = &g
			}
			w.g.N--
			w.used++
			d := time.Duration(50+rng.IntN(750)) * time.Millisecond
			w.busyTill = now.Add(d)
			starts = append(starts, now)
			spans = append(spans, span{now, now.Add(d)})
		}
	}
	for i, j := 0, 0; i < len(starts); i++ {
		for starts[i].Sub(starts[j]) >= intuitWindow {
			j++
		}
		if n := i - j + 1; n > MaxPerMinute {
			t.Fatalf("%d requests started in the 60 s before %v, want at most %d", n, starts[i].Sub(start), MaxPerMinute)
		}
	}
	type edge struct {
		at time.Time
		d  int
	}
	var edges []edge
	for _, s := range spans {
		edges = append(edges, edge{s.from, 1}, edge{s.to, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].d < edges[j].d
		}
		return edges[i].at.Before(edges[j].at)
	})
	inFlight, most := 0, 0
	for _, e := range edges {
		inFlight += e.d
		most = max(most, inFlight)
	}
	if most > MaxInFlight {
		t.Errorf("%d requests in flight at once, want at most %d", most, MaxInFlight)
	}
	perMinute := float64(len(starts)) / 5
	t.Logf("%d grants, %d cells, %d sent", realms.admits, realms.cells, len(starts))
	if perMinute < 0.9*float64(p.PerMinute()) {
		t.Errorf("%.0f requests a minute under contention, want close to the policy's %d", perMinute, p.PerMinute())
	}
	switch {
	case queue == 0 && float64(realms.admits) > float64(len(starts))/2:
		t.Errorf("%d grants for %d requests: grants should carry several requests each", realms.admits, len(starts))
	case queue > 0 && float64(realms.cells-len(starts)) > 0.05*float64(len(starts)):
		// Booked turns carry one request each: nothing is left unsent
		// that could not be given back.
		t.Errorf("%d requests admitted, %d sent: booked turns should leave few unsent", realms.cells, len(starts))
	}
}

// Functions waiting for one company's schedule at once (a backlog) cost
// the store about one call per grant, not one per waiter per turn: each
// waiter books its turn and sleeps until it, instead of asking again.
func TestWaitersBookTheirTurnInsteadOfPolling(t *testing.T) {
	p := Policy{Interval: 20 * time.Millisecond, Burst: 40 * time.Millisecond, Slots: MaxInFlight,
		GrantSize: 1, GrantLife: 200 * time.Millisecond, Lease: 2 * time.Second}
	realms := &memRealms{}
	const waiters = 20
	var wg sync.WaitGroup
	errs := make(chan error, waiters)
	start := time.Now()
	for range waiters {
		wg.Go(func() {
			// One transport each: every function instance has its own.
			rt := &Transport{Base: status(http.StatusOK), Realms: realms, Policy: p, MaxWait: 5 * time.Second}
			req, _ := http.NewRequest(http.MethodGet, "http://qbo.invalid/v3/company/r1/query", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if took, least := time.Since(start), time.Duration(waiters-2)*p.Interval; took < least {
		t.Errorf("%d requests in %v, want at least %v at one per %v", waiters, took, least, p.Interval)
	}
	if realms.asks > 2*waiters+2 {
		t.Errorf("%d calls to the schedule for %d requests, want at most %d: waiters must not poll", realms.asks, waiters, 2*waiters+2)
	}
}

type status int

func (s status) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: int(s), Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

func TestTransportAdmitsRestsAndReleases(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	realms := &memRealms{}
	rt := &Transport{Base: status(http.StatusOK), Realms: realms, Backoff: time.Minute,
		Now: func() time.Time { return now }}
	req, _ := http.NewRequest(http.MethodGet, "http://qbo.invalid/v3/company/r1/query", nil)
	get := func() error {
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	for i := 0; i < 5; i++ {
		if err := get(); err != nil {
			t.Fatal(err)
		}
	}
	if realms.admits != 2 {
		t.Errorf("5 sequential requests took %d grants, want 2 (2, then 3: a used-up grant grows the next)", realms.admits)
	}
	if realms.releases != 2 {
		t.Errorf("the used-up grants released their slots %d times, want 2", realms.releases)
	}

	if err := get(); err != nil {
		t.Fatal(err)
	}
	rt.Flush(context.Background())
	if held := len(realms.schedules["r1"].Slots); held != 0 {
		t.Errorf("after Flush %d slots are held, want 0: a frozen function must hold none", held)
	}

	now = now.Add(time.Minute) // the schedule is idle again
	rt.Base = status(http.StatusTooManyRequests)
	if err := get(); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(time.Minute); !realms.schedules["r1"].RestUntil.Equal(want) {
		t.Errorf("after a 429 the realm rests until %v, want %v (Intuit: wait 60 s)", realms.schedules["r1"].RestUntil, want)
	}
	rt.Flush(context.Background())
	err := get()
	var te *Error
	if !errors.As(err, &te) || te.Realm != "r1" || !te.Resting || !te.Until.Equal(now.Add(time.Minute)) {
		t.Fatalf("err = %v, want an *Error resting until the 429's minute is over", err)
	}

	token, _ := http.NewRequest(http.MethodPost, "http://qbo.invalid/oauth2/v1/tokens/bearer", nil)
	if _, err := rt.RoundTrip(token); err != nil {
		t.Errorf("a token request is not an Accounting API call and needs no admission: %v", err)
	}
}

func TestRealmOf(t *testing.T) {
	for path, want := range map[string]string{
		"/v3/company/9130357/invoice": "9130357",
		"/sim/v3/company/42/query":    "42",
		"/v3/company/42":              "42",
		"/oauth2/v1/tokens/bearer":    "",
		"/_sim/companies/42/ledger":   "",
	} {
		if got := RealmOf(path); got != want {
			t.Errorf("RealmOf(%q) = %q, want %q", path, got, want)
		}
	}
}

// A batch request spends the company's batch schedule only: at most 36
// batches in any 60 s (Intuit: 40), and the single requests' schedule
// leaves them their share of Intuit's 500 and of its 10 in flight.
func TestBatchesSpendTheirOwnSchedule(t *testing.T) {
	p, single := BatchPolicy(), DefaultPolicy()
	worst := (intuitWindow + p.GrantLife + p.Burst) / p.Interval
	if worst > MaxBatchesPerMinute {
		t.Errorf("worst case %d batches in 60 s, want at most %d", worst, MaxBatchesPerMinute)
	}
	singles := (intuitWindow + single.GrantLife + single.Burst) / single.Interval
	if worst+singles > MaxPerMinute {
		t.Errorf("worst case %d batches and %d single requests in 60 s, want at most %d together", worst, singles, MaxPerMinute)
	}
	if p.Slots+single.Slots > MaxInFlight {
		t.Errorf("%d batches and %d single requests in flight at once, want at most %d together", p.Slots, single.Slots, MaxInFlight)
	}
	now := time.Unix(1_800_000_000, 0)
	realms := &memRealms{}
	rt := &Transport{Base: status(http.StatusOK), Realms: realms, Now: func() time.Time { return now }}
	batch, _ := http.NewRequest(http.MethodPost, "http://qbo.invalid/v3/company/r1/batch", nil)
	resp, err := rt.RoundTrip(batch)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := realms.schedules["r1"]; s != nil && !s.TAT.IsZero() {
		t.Error("the batch spent a cell of the single requests' schedule")
	}
	if s := realms.schedules["r1/batch"]; s == nil || s.TAT.IsZero() {
		t.Fatal("the batch did not spend the company's batch schedule")
	}
	if _, _, refused := p.Plan(*realms.schedules["r1/batch"], 1, now); refused != nil {
		t.Errorf("a second batch at once refused (%+v), want the burst of 2", refused)
	}
	s := *realms.schedules["r1/batch"]
	_, s.TAT, _ = p.Plan(s, 1, now)
	if _, _, refused := p.Plan(s, 1, now); refused == nil || !refused.RetryAt.After(now) {
		t.Errorf("a third batch at once: refused %+v, want a later time", refused)
	}
}

// counted answers 200 and counts what reached it.
type counted struct{ n int }

func (c *counted) RoundTrip(*http.Request) (*http.Response, error) {
	c.n++
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

// A request whose admitted step fails (a batch that could not be
// recorded) is not sent and gives its slot back; a refused one never
// runs the step.
func TestAdmittedRunsOnlyForAnAdmittedRequest(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	realms := &memRealms{}
	base := &counted{}
	rt := &Transport{Base: base, Realms: realms, Now: func() time.Time { return now }}
	req, _ := http.NewRequest(http.MethodPost, "http://qbo.invalid/v3/company/r1/customer", nil)
	failed := errors.New("journal down")
	if _, err := rt.RoundTripAdmitted(req, func(context.Context) error { return failed }); !errors.Is(err, failed) || base.n != 0 {
		t.Fatalf("err %v, %d sent; want the step's error and nothing sent", err, base.n)
	}
	rt.Flush(context.Background())
	if held := len(realms.schedules["r1"].Slots); held != 0 {
		t.Errorf("%d slots held after the unsent request, want 0", held)
	}
	ran := 0
	resp, err := rt.RoundTripAdmitted(req, func(context.Context) error { ran++; return nil })
	if err != nil || ran != 1 || base.n != 1 {
		t.Fatalf("err %v, step ran %d times, %d sent; want 1 and 1", err, ran, base.n)
	}
	resp.Body.Close()

	if err := realms.ThrottleRealm(context.Background(), "r1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rt.Flush(context.Background())
	ran = 0
	if _, err := rt.RoundTripAdmitted(req, func(context.Context) error { ran++; return nil }); err == nil || ran != 0 {
		t.Errorf("resting company: err %v, step ran %d times; want a refusal and no step", err, ran)
	}
}

// A caller with another way out by some time (a sync whose company's next
// bunch turn is then) is refused at once when its turn on the schedule
// comes later, and waits for it when it comes earlier.
func TestAdmitByBoundsTheWait(t *testing.T) {
	p := Policy{Interval: 200 * time.Millisecond, Slots: MaxInFlight, GrantSize: 1,
		GrantLife: 50 * time.Millisecond, Lease: time.Second}
	realms := &memRealms{}
	get := func(ctx context.Context) error {
		rt := &Transport{Base: status(http.StatusOK), Realms: realms, Policy: p, MaxWait: 5 * time.Second}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://qbo.invalid/v3/company/r1/query", nil)
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(context.Background()); err != nil {
		t.Fatal(err)
	}
	soon := func(now time.Time) time.Time { return now.Add(20 * time.Millisecond) }
	start := time.Now()
	err := get(AdmitBy(context.Background(), soon))
	var te *Error
	if !errors.As(err, &te) || te.Resting {
		t.Fatalf("next turn 200 ms away, admit by 20 ms: err %v, want a refusal to reschedule on", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("the refusal took %v, want it at once: the caller's other way out is sooner", took)
	}
	later := func(now time.Time) time.Time { return now.Add(time.Second) }
	start = time.Now()
	if err := get(AdmitBy(context.Background(), later)); err != nil {
		t.Fatalf("next turn within the bound: %v, want it admitted", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("admitted after %v, want it to wait for its turn (about 200 ms)", took)
	}
}

// A batch that may go another way (BatchNow: its creates go alone) never
// takes the batch schedule's last cell, so a bunch's batch, which has no
// other way, does not queue behind it.
func TestBatchNowLeavesTheLastCellToABunch(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	realms := &memRealms{}
	rt := &Transport{Base: status(http.StatusOK), Realms: realms, Now: func() time.Time { return now }}
	send := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://qbo.invalid/v3/company/r1/batch", nil)
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := send(BatchNow(context.Background())); err != nil {
		t.Fatalf("a batch with the schedule idle: %v, want it admitted", err)
	}
	err := send(BatchNow(context.Background()))
	var te *Error
	if !errors.As(err, &te) || !te.Batch {
		t.Fatalf("a second batch with another way out: err %v, want it refused at once to go alone", err)
	}
	if err := send(context.Background()); err != nil {
		t.Fatalf("a bunch's batch after it: %v, want the cell left for it", err)
	}
}
