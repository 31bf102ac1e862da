package store

import (
	"sync"
	"time"
)

// recentLife bounds how long a read entity is remembered: a sync reads
// its entity, talks to QuickBooks and then records the outcome, all
// within a function's timeout.
const recentLife = 60 * time.Second

// recentMax bounds the memory: one batch reads at most a few hundred
// entities (its own and their parents).
const recentMax = 1000

// recentItems remembers the entity items this process read, so the
// status write that follows a sync's read decides from it instead of
// reading the item again. Each memory serves one write: that write is
// conditional on the item's rev, so a memory gone stale (another
// function wrote meanwhile) costs only the refused write and a re-read.
type recentItems struct {
	mu    sync.Mutex
	items map[recentKey]recentItem
}

type recentKey struct{ tenant, sk string }

type recentItem struct {
	it entityItem
	at time.Time
}

func (r *recentItems) remember(tenant string, it entityItem, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.items == nil || len(r.items) >= recentMax {
		r.items = map[recentKey]recentItem{}
	}
	r.items[recentKey{tenant, it.SK}] = recentItem{it: it, at: now}
}

// take returns and forgets the remembered item of tenant's sk.
func (r *recentItems) take(tenant, sk string, now time.Time) (entityItem, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := recentKey{tenant, sk}
	m, ok := r.items[k]
	delete(r.items, k)
	if !ok || now.Sub(m.at) > recentLife {
		return entityItem{}, false
	}
	return m.it, true
}

func (r *recentItems) forget(tenant, sk string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.items, recentKey{tenant, sk})
}
