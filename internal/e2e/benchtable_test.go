package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// latency is the steady phase's webhook → QuickBooks times.
type latency struct {
	rate     int
	length   time.Duration
	times    []time.Duration
	unsynced int
}

// steady posts one invoice every 1/rate s for length, each timed from
// just before its webhook to its link's write after QuickBooks created
// it.
func (b *backfill) steady(rate int, length time.Duration) latency {
	n := int(length.Seconds() * float64(rate))
	posted := make([]time.Time, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	tick := time.NewTicker(time.Second / time.Duration(rate))
	for i := range n {
		<-tick.C
		wg.Go(func() {
			posted[i] = time.Now()
			if err := b.postOne(fmt.Sprintf("evt_steady_%d", i), "invoice.created", b.invoice("lat", i)); err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
		})
	}
	tick.Stop()
	wg.Wait()
	if failed != nil {
		b.t.Fatal(failed)
	}
	if b.progress != nil {
		fmt.Fprintf(b.progress, "steady phase posted (%d invoices): until they are synced\n", n)
	}
	b.waitSynced(b.customers+b.invoices+n+1, 10*time.Minute)
	b.e.drain()
	l := latency{rate: rate, length: length}
	for i := range n {
		link, err := b.s.Store().Link(context.Background(), b.e.tenant, billing.KindInvoice, fmt.Sprintf("lat_%d", i))
		if err != nil || !link.Linked() {
			l.unsynced++
			continue
		}
		l.times = append(l.times, link.UpdatedAt.Sub(posted[i]))
	}
	return l
}

// batches is what went to QuickBooks in batches between two reads of the
// simulator's stats.
type batches struct{ requests, batches, items int }

// batchesBetween counts the batch requests and their items: the simulator
// counts every request once by its operation and every batch item once
// more, so the items are the operations beyond the requests.
func batchesBetween(before, after simStats) batches {
	ops := 0
	for k, n := range after.ByOperation {
		ops += n - before.ByOperation[k]
	}
	requests := after.Requests - before.Requests
	return batches{requests: requests, batches: after.ByOperation["batch"] - before.ByOperation["batch"], items: ops - requests}
}

// table is the benchmark's one table.
func (b *backfill) table(elapsed time.Duration, synced, throttled, dead int, c devstack.Counts, l latency, bt batches) string {
	var w strings.Builder
	perMin := float64(synced) / elapsed.Minutes()
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&w, "| %-44s | %s |\n", name, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(&w, "Backfill of %d invoices + %d customers for one company (local stack; QuickBooks simulator at Intuit's limits)\n\n",
		b.invoices, b.customers)
	fmt.Fprintf(&w, "| %-44s | %s |\n|%s|%s|\n", "measure", "value", strings.Repeat("-", 46), strings.Repeat("-", 60))
	row("entities synced", "%d of %d in %s", synced, b.customers+b.invoices, elapsed.Round(time.Second))
	row("entities/min", "%.0f", perMin)
	row("ratio to 500/min (single calls)", "%.2f", perMin/500)
	row("ratio to 1,200/min (batch ceiling)", "%.2f", perMin/1200)
	row("429s from QuickBooks (simulator's stats)", "%d", throttled)
	row("dead letters", "%d", dead)
	row("QuickBooks requests of the backfill (simulator)", "%d, of them %d batches carrying %d writes (%.1f a batch)",
		bt.requests, bt.batches, bt.items, float64(bt.items)/float64(max(bt.batches, 1)))
	f := c.Functions
	kinds := []struct {
		name string
		n    int
		fc   devstack.FunctionCounts
	}{
		{"customer (webhook + sync)", b.customers, plus(b.webhook[0], f["SyncCustomerFunction"])},
		{"invoice (webhook + sync)", b.invoices, plus(b.webhook[1], f["SyncInvoiceFunction"])},
	}
	all := devstack.FunctionCounts{}
	for _, fc := range f {
		all = plus(all, fc)
	}
	for _, k := range kinds {
		n := float64(max(k.n, 1))
		row("per "+k.name, "QBO %.2f · DynamoDB %.2f req, %.2f WCU, %.2f RCU · SQS %.2f",
			float64(k.fc.QBO)/n, float64(k.fc.DynamoDB)/n, k.fc.WriteUnits/n, k.fc.ReadUnits/n, float64(k.fc.SQS)/n)
	}
	n := float64(max(synced, 1))
	r := f["ResumeFunction"]
	row("resume function, per entity", "SQS %.2f", float64(r.SQS)/n)
	row("per entity, every function", "QBO %.2f · DynamoDB %.2f req, %.2f WCU · SQS %.2f",
		float64(all.QBO)/n, float64(all.DynamoDB)/n, all.WriteUnits/n, float64(all.SQS)/n)
	row("event source polls, per entity", "SQS %.2f (idle polls included)", float64(devstack.Total(c.EventSource))/n)
	row(fmt.Sprintf("webhook → QBO latency, %d events/s for %s", l.rate, l.length), "p50 %s · p99 %s · max %s (%d invoices, %d unsynced)",
		percentile(l.times, 50).Round(time.Millisecond), percentile(l.times, 99).Round(time.Millisecond),
		percentile(l.times, 100).Round(time.Millisecond), len(l.times), l.unsynced)
	w.WriteString(itemTable(c, synced))
	return w.String()
}

// itemRows bounds the cost table to the items that cost the most.
const itemRows = 16

// itemTable is the backfill's DynamoDB cost per entity by the function
// that sent the request, its operation and the kinds of item touched, the
// most requests first: what grows with the backlog shows at the top.
func itemTable(c devstack.Counts, entities int) string {
	type row struct {
		label string
		devstack.ItemCount
	}
	var rows []row
	for fn, items := range c.FunctionItems {
		for label, it := range items {
			rows = append(rows, row{strings.TrimSuffix(fn, "Function") + " " + label, it})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Requests != rows[j].Requests {
			return rows[i].Requests > rows[j].Requests
		}
		return rows[i].label < rows[j].label
	})
	n := float64(max(entities, 1))
	var w strings.Builder
	fmt.Fprintf(&w, "\nDynamoDB per entity by function and item (top %d)\n\n", itemRows)
	fmt.Fprintf(&w, "| %-52s | %8s | %8s | %8s |\n|%s|%s|%s|%s|\n", "function, operation, items", "requests", "failed", "WCU",
		strings.Repeat("-", 54), strings.Repeat("-", 10), strings.Repeat("-", 10), strings.Repeat("-", 10))
	for i, r := range rows {
		if i == itemRows {
			break
		}
		fmt.Fprintf(&w, "| %-52s | %8.2f | %8.2f | %8.2f |\n", r.label, float64(r.Requests)/n, float64(r.Failed)/n, r.WriteUnits/n)
	}
	return w.String()
}
