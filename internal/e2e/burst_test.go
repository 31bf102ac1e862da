package e2e

import (
	"flag"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
)

var burstSeed = flag.Uint64("burst.seed", 20261201, "seed of the burst test")

// TestBurstConvergesWithoutScheduler posts one company's month-end burst
// at once: 10 customers, over 500 events from 8 concurrent senders, with
// the same event twice, the same version again under new event ids,
// newer versions before older ones and late re-sends of old ones, while
// QuickBooks throttles (429), fails (500, 503) and drops responses after
// committing. From the deliveries alone — no scheduler pass — every
// entity ends synced, the books match billing exactly, nothing exists
// twice, and no message ends in a dead-letter queue.
func TestBurstConvergesWithoutScheduler(t *testing.T) {
	start := time.Now()
	s := newStack(t, devstack.Options{ThrottleBackoff: time.Second, Log: propertyLogger(t)})
	rng := rand.New(rand.NewPCG(*burstSeed, 1))
	m := newBillingModel("burst", rng)
	m.generate(10, 520)
	pt := &propertyTenant{env: newTenant(t, s, "burst"), model: m}
	pt.deliveries = schedule(rng, m.events, planFaults(rng, 2, 0))
	s.ResetCounts()

	lanes := byCustomer(pt.deliveries, 8)
	stats := make([]deliveryStats, len(lanes))
	posting := time.Now()
	var wg sync.WaitGroup
	for i, lane := range lanes {
		wg.Go(func() { stats[i] = pt.env.deliver(lane) })
	}
	wg.Wait()
	posted := time.Since(posting)
	pt.stats = merge(stats)

	open, unmatched := settle(t, s, []*propertyTenant{pt})
	f, sum := checkTenants(t, s, []*propertyTenant{pt})
	dead := deadLetters(t, s)
	if dead > 0 {
		f.add("dead-letter", "%d messages in dead-letter queues, want 0", dead)
	}
	t.Logf("burst (seed %d): %d events, %d posts in %s by %d senders (%d same-id duplicates, %d same-version re-sends, "+
		"%d late, %d stale); faults planned %v, %d hit QuickBooks, %d never matched; %d entities not final, "+
		"%d dead letters, no scheduler pass; converged in %s",
		*burstSeed, sum.events, sum.posts, posted.Round(time.Millisecond), len(lanes), sum.duplicates, sum.resent,
		sum.late, sum.stale, sum.planned, sum.faultsHit, unmatched, open, dead, time.Since(start).Round(time.Millisecond))
	st, err := pt.env.simStats()
	if err == nil {
		t.Logf("QuickBooks: %d requests (%d batches), %d answered 429 by its rate limit, %d answered from a requestid's replay",
			st.Requests, st.ByOperation["batch"], st.Throttled, st.Replays)
	}
	logCosts(t, s, []*propertyTenant{pt})
	if sum.events < 500 || sum.resent == 0 || sum.duplicates == 0 {
		t.Errorf("the burst had %d events, %d re-sends, %d duplicates: want at least 500 events with both", sum.events, sum.resent, sum.duplicates)
	}
	for cat, msgs := range f.byCategory {
		for i, msg := range msgs {
			if i == 25 {
				t.Errorf("%s: %d more", cat, len(msgs)-i)
				break
			}
			t.Errorf("%s: %s", cat, msg)
		}
	}
}

// byCustomer splits deliveries into n lanes, each holding every delivery
// of its customers (products and faults in the first), so that one
// entity's deliveries keep their order and the expected answers stay
// exact while lanes run concurrently.
func byCustomer(ds []delivery, n int) [][]delivery {
	lanes := make([][]delivery, n)
	for _, d := range ds {
		lane := 0
		if d.ev != nil {
			if cust := customerOf(d.ev); cust != "" {
				h := fnv.New32a()
				h.Write([]byte(cust))
				lane = int(h.Sum32() % uint32(n))
			}
		}
		lanes[lane] = append(lanes[lane], d)
	}
	return lanes
}

func customerOf(ev *billingEvent) string {
	if ev.Kind == "customer" {
		return ev.Entity
	}
	c, _ := ev.Data["customer_id"].(string)
	return c
}

func merge(stats []deliveryStats) deliveryStats {
	out := deliveryStats{faultsPlanned: map[string]int{}}
	for _, s := range stats {
		out.posts += s.posts
		out.accepted += s.accepted
		out.duplicates += s.duplicates
		out.stale += s.stale
		out.duplicatesSent += s.duplicatesSent
		out.resentSent += s.resentSent
		out.lateSent += s.lateSent
		out.unexpected = append(out.unexpected, s.unexpected...)
		for k, v := range s.faultsPlanned {
			out.faultsPlanned[k] += v
		}
	}
	return out
}
