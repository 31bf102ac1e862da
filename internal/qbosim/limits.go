package qbosim

import (
	"sync"
	"time"
)

// gate is a realm's front door: its rate window, in-flight count, pending
// injected faults and request statistics. It has its own lock so a request
// can be counted and refused while another holds the company.
type gate struct {
	mu       sync.Mutex
	window   []time.Time // start times of the requests of the last minute
	inFlight int
	faults   []*faultRule
	stats    stats
}

func newGate() *gate {
	return &gate{stats: stats{ByOperation: map[string]int{}}}
}

// limits are the per-realm throttles; zero or negative disables one.
type limits struct {
	perMinute     int
	maxConcurrent int
}

// admit counts a request against the realm's limits. It reports false, and
// counts nothing, when the request is to be refused with 429: more than
// perMinute requests in the trailing minute, or more than maxConcurrent in
// flight. A true result must be paired with release.
func (g *gate) admit(l limits, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	cutoff := now.Add(-time.Minute)
	drop := 0
	for drop < len(g.window) && !g.window[drop].After(cutoff) {
		drop++
	}
	g.window = g.window[drop:]
	if (l.perMinute > 0 && len(g.window) >= l.perMinute) || (l.maxConcurrent > 0 && g.inFlight >= l.maxConcurrent) {
		g.stats.Throttled++
		return false
	}
	g.window = append(g.window, now)
	g.inFlight++
	g.stats.Requests++
	return true
}

func (g *gate) release() {
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
}
