// Package qbobatch sends the QuickBooks creates that several syncs make at
// the same moment as one call to Intuit's batch endpoint. It is an
// http.RoundTripper under the QuickBooks client: each sync still makes its
// own create call with its own requestid and reads its own answer; only
// the wire carries them together. A batch carries no requestid per item,
// so every batch that carries creates is recorded (Journal) and a create
// retried after a lost answer replays its batch (see journal.go).
package qbobatch

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// MaxItems is Intuit's limit of operations in one batch request.
const MaxItems = 30

// DefaultHold is how long a write waits for other syncs' writes to join
// it before it goes out.
const DefaultHold = 50 * time.Millisecond

// Batcher holds the creates of the syncs of one round (Round: one
// invocation's message groups) until every one of them is waiting on
// QuickBooks (or Hold passes), then sends them per company as one batch.
// Other requests (updates and deletes included), and requests of callers
// that joined no round, pass through.
type Batcher struct {
	Base    http.RoundTripper // nil: http.DefaultTransport
	Hold    time.Duration     // 0: DefaultHold
	Journal Journal           // nil: nothing is batched
}

// Round is the syncs of one function invocation. Only they go out
// together: on Lambda an instance runs one invocation at a time, so
// rounds keep the local stack, which runs many invocations in one
// process, to the batches AWS sends.
type Round struct {
	b *Batcher
	// hold overrides the batcher's; patient rounds' batches wait for the
	// company's batch schedule instead of going alone when it has no room.
	hold    time.Duration
	patient bool
	mu      sync.Mutex
	members int // joined callers still working
	held    []*held
	timer   *time.Timer
}

type held struct {
	req     *http.Request
	write   write
	patient bool
	done    chan result
	// twins are held writes with the same requestid, answered with this
	// one's answer; set before the write is sent, never read by its caller.
	twins []*held
}

type result struct {
	resp *http.Response
	err  error
}

type memberKey struct{}

// Round starts a round of syncs whose writes may go out together.
func (b *Batcher) Round() *Round { return &Round{b: b} }

// BunchHold is how long a bunch's creates wait for the rest of the bunch.
const BunchHold = 5 * time.Second

// Bunch starts the round of a bunch: syncs gathered to go out together.
// Its creates wait longer for each other (BunchHold), and its batches wait
// for the company's batch schedule rather than go alone.
func (b *Batcher) Bunch() *Round { return &Round{b: b, hold: BunchHold, patient: true} }

// Join marks ctx's caller as one of the round's syncs; leave when it is
// done. While any member works, the others' writes wait for it (at most
// Hold), so that they can go out together.
func (r *Round) Join(ctx context.Context) (context.Context, func()) {
	r.mu.Lock()
	r.members++
	r.mu.Unlock()
	var once sync.Once
	return context.WithValue(ctx, memberKey{}, r), func() {
		once.Do(func() {
			r.mu.Lock()
			r.members--
			flush := r.takeIfAllWaiting()
			r.mu.Unlock()
			r.b.send(flush)
		})
	}
}

// RoundTrip implements http.RoundTripper.
func (b *Batcher) RoundTrip(req *http.Request) (*http.Response, error) {
	w, ok := parseWrite(req)
	if ok && w.operation == "create" && retrying(req.Context()) {
		return b.retryCreate(req, w)
	}
	// Only creates are batched: an update or delete in a batch carries no
	// requestid either, and its retry after a lost answer would be carried
	// out again instead of replayed.
	r, _ := req.Context().Value(memberKey{}).(*Round)
	if !ok || r == nil || r.b != b || w.operation != "create" || b.Journal == nil {
		return b.base().RoundTrip(req)
	}
	h := &held{req: req, write: w, patient: r.patient, done: make(chan result, 1)}
	r.mu.Lock()
	r.held = append(r.held, h)
	flush := r.takeIfAllWaiting()
	if flush == nil && r.timer == nil {
		hold := r.hold
		if hold == 0 {
			hold = b.hold()
		}
		r.timer = time.AfterFunc(hold, r.timeout)
	}
	r.mu.Unlock()
	b.send(flush)
	// The answer is awaited even when the caller's context is cancelled
	// (the batch ends by the callers' earliest deadline): a caller that
	// gave up while its create could still be sent might retry it alone
	// first.
	res := <-h.done
	return res.resp, res.err
}

// takeIfAllWaiting returns the held writes when every member is waiting
// on one (or there are enough for a full batch). r.mu is held.
func (r *Round) takeIfAllWaiting() []*held {
	if len(r.held) == 0 || (len(r.held) < r.members && len(r.held) < MaxItems) {
		return nil
	}
	return r.take()
}

func (r *Round) take() []*held {
	out := r.held
	r.held = nil
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	return out
}

func (r *Round) timeout() {
	r.mu.Lock()
	r.timer = nil
	flush := r.take()
	r.mu.Unlock()
	r.b.send(flush)
}

// send sends the writes, per company, one batch at a time.
func (b *Batcher) send(hs []*held) {
	if len(hs) == 0 {
		return
	}
	byRealm := map[string][]*held{}
	var order []string
	for _, h := range hs {
		if byRealm[h.write.realm] == nil {
			order = append(order, h.write.realm)
		}
		byRealm[h.write.realm] = append(byRealm[h.write.realm], h)
	}
	for _, realm := range order {
		group := dedupe(byRealm[realm])
		for len(group) > 0 {
			n := min(len(group), MaxItems)
			go b.sendBatch(group[:n])
			group = group[n:]
		}
	}
}

// dedupe keeps the first of the writes that carry the same requestid and
// makes the others its twins: they get its answer, as QuickBooks answers
// a replayed requestid. A batch carries no requestid per item, so two
// such writes in it would both be carried out.
func dedupe(hs []*held) []*held {
	first := map[string]*held{}
	var out []*held
	for _, h := range hs {
		id := h.req.URL.Query().Get("requestid")
		if f, ok := first[id]; ok && id != "" {
			f.twins = append(f.twins, h)
			continue
		}
		first[id] = h
		out = append(out, h)
	}
	return out
}

func (b *Batcher) hold() time.Duration {
	if b.Hold == 0 {
		return DefaultHold
	}
	return b.Hold
}

func (b *Batcher) base() http.RoundTripper {
	if b.Base == nil {
		return http.DefaultTransport
	}
	return b.Base
}
