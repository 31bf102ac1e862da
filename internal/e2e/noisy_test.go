package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// make bench-fairness sets these; without them both benchmarks are
// skipped, so make test stays fast.
var (
	noisyEntities = flag.Int("noisy.entities", 0, "entities tenant A backfills in the noisy-neighbour benchmark (0: skip it)")
	noisyOthers   = flag.Int("noisy.others", 20, "tenants posting one live event a second meanwhile")
	fleetTenants  = flag.Int("fleet.tenants", 0, "tenants of the fleet benchmark (0: skip it)")
	fleetEntities = flag.Int("fleet.entities", 100, "entities each fleet tenant posts")
	fairnessOut   = flag.String("fairness.out", "", "file the tables are appended to (besides the test log)")
	fairnessLog   = flag.String("fairness.log", "", "file the functions' JSON logs go to as well, to trace the slowest live invoices and tenants")
	noisyLive     = flag.Int("noisy.live-per-minute", 0, "the webhook's live events per tenant and minute (0: the template's; a huge value puts everything in the live lane, for comparison)")
)

// logBytes counts the bytes of the functions' JSON logs, what CloudWatch
// Logs would ingest besides Lambda's own lines.
type logBytes struct{ n atomic.Int64 }

func (l *logBytes) Write(p []byte) (int, error) {
	l.n.Add(int64(len(p)))
	return len(p), nil
}

// intuitPerMinute is Intuit's ceiling for one company: 500 requests in
// any minute.
const intuitPerMinute = 500

// TestNoisyNeighbourBenchmark has tenant A backfill -noisy.entities
// entities (a customer per 10 invoices, customers first, 8 senders) while
// -noisy.others tenants each post one invoice a second, and prints the
// others' webhook → QuickBooks latency and A's throughput against its
// company's ceiling.
func TestNoisyNeighbourBenchmark(t *testing.T) {
	if *noisyEntities <= 0 {
		t.Skip("the noisy-neighbour benchmark runs with -noisy.entities=N (make bench-fairness)")
	}
	logs := &logBytes{}
	s := newStack(t, devstack.Options{Log: slog.New(slog.NewJSONHandler(traced(t, logs), nil)), LiveEventsPerMinute: *noisyLive})
	customers := max(1, *noisyEntities/10)
	a := newFleet(t, s, "noisy", 1, customers, *noisyEntities-customers)[0]
	others := newFleet(t, s, "quiet", *noisyOthers, liveCustomers, 0)
	for _, o := range others {
		for i := range liveCustomers {
			o.e.mustPost(http.StatusAccepted, "customer.created", customer(fmt.Sprintf("cus_%d", i), 1,
				fmt.Sprintf("Live Customer %d", i), fmt.Sprintf("live%d@bench.example", i)))
		}
	}
	a.e.drain()
	logsBefore := logs.n.Load()
	s.ResetCounts()
	before, err := a.e.simStats()
	if err != nil {
		t.Fatal(err)
	}

	stop, errs := make(chan struct{}), make(chan error, 1)
	done := make(chan struct{})
	for _, o := range others {
		go func() {
			defer func() { done <- struct{}{} }()
			o.liveInvoices(stop, errs)
		}()
	}
	start := time.Now()
	if err := a.postBackfill(benchSenders); err != nil {
		t.Fatal(err)
	}
	posting := time.Since(start)
	synced := a.waitSynced(*noisyEntities+1, *benchTimeout)
	elapsed := time.Since(start)
	close(stop)
	for range others {
		<-done
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	drainLong(t, s)
	after, err := a.e.simStats()
	if err != nil {
		t.Fatal(err)
	}
	var lat, answered []time.Duration
	unsynced := 0
	for _, o := range others {
		l, u := o.latencies()
		lat, unsynced = append(lat, l...), unsynced+u
		answered = append(answered, o.answered...)
	}
	slices.Sort(lat)
	slices.Sort(answered)
	if *fairnessLog != "" {
		logSlowest(t, others, 20)
	}

	perMin := float64(synced) / elapsed.Minutes()
	requests := after.Requests - before.Requests
	reqPerMin := float64(requests) / elapsed.Minutes()
	var w strings.Builder
	lanes := "live rate from the template"
	if *noisyLive > 0 {
		lanes = fmt.Sprintf("live rate %d events/min per tenant", *noisyLive)
	}
	fmt.Fprintf(&w, "Noisy neighbour: tenant A backfills %d entities (%d customers, %d invoices) while %d tenants post 1 invoice/s each (%s)\n\n",
		*noisyEntities, a.customers, a.invoices, len(others), lanes)
	row := tableRows(&w)
	row("A: entities synced", "%d of %d in %s (posted in %s)", synced, *noisyEntities, elapsed.Round(time.Second), posting.Round(time.Second))
	row("A: entities/min", "%.0f", perMin)
	row("A: QuickBooks requests/min", "%.0f (%.2f per entity)", reqPerMin, float64(requests)/float64(max(synced, 1)))
	row("A: ratio to its ceiling (500 requests/min)", "%.2f", reqPerMin/intuitPerMinute)
	row("A: 429s from QuickBooks", "%d", after.Throttled-before.Throttled)
	row("others: webhook → QBO latency", "p50 %s · p99 %s · max %s", percentile(lat, 50).Round(time.Millisecond),
		percentile(lat, 99).Round(time.Millisecond), percentile(lat, 100).Round(time.Millisecond))
	row("others: of which the webhook's answer", "p50 %s · p99 %s · max %s", percentile(answered, 50).Round(time.Millisecond),
		percentile(answered, 99).Round(time.Millisecond), percentile(answered, 100).Round(time.Millisecond))
	row("others: invoices", "%d synced, %d unsynced", len(lat), unsynced)
	row("webhooks retried after 429/503", "%d", a.retried.Load()+sumRetried(others))
	var all devstack.FunctionCounts
	c := s.Counts()
	for _, fc := range c.Functions {
		all = plus(all, fc)
	}
	n := float64(max(synced+len(lat), 1))
	row("per entity, every function", "DynamoDB %.2f req, %.2f WCU, %.2f RCU · SQS %.2f · polls %.2f",
		float64(all.DynamoDB)/n, all.WriteUnits/n, all.ReadUnits/n, float64(all.SQS)/n, float64(devstack.Total(c.EventSource))/n)
	row("function log bytes per entity (JSON, INFO)", "%.0f", float64(logs.n.Load()-logsBefore)/float64(max(synced+len(lat), 1)))
	row("dead letters", "%d", deadLetters(t, s))
	report(t, w.String())
	if synced != *noisyEntities {
		t.Errorf("A: %d of %d entities synced", synced, *noisyEntities)
	}
}

// traced is w, and -fairness.log as well when set.
func traced(t *testing.T, w io.Writer) io.Writer {
	if *fairnessLog == "" {
		return w
	}
	f, err := os.Create(*fairnessLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return io.MultiWriter(w, f)
}

// logSlowest names the n slowest live invoices, to be traced in -noisy.log.
func logSlowest(t *testing.T, fs []*fleetTenant, n int) {
	type sample struct {
		tenant, id string
		took       time.Duration
	}
	var all []sample
	for _, f := range fs {
		for id, at := range f.posted {
			link, err := f.s.Store().Link(context.Background(), f.e.tenant, billing.KindInvoice, id)
			if err == nil && link.Linked() {
				all = append(all, sample{f.e.tenant, id, link.UpdatedAt.Sub(at)})
			}
		}
	}
	slices.SortFunc(all, func(a, b sample) int { return int(b.took - a.took) })
	for _, s := range all[:min(n, len(all))] {
		t.Logf("slow live invoice: tenant %s id %s took %s", s.tenant, s.id, s.took.Round(time.Millisecond))
	}
}

// liveCustomers is how many customers each live tenant's invoices go to.
const liveCustomers = 10

func sumRetried(fs []*fleetTenant) int64 {
	var n int64
	for _, f := range fs {
		n += f.retried.Load()
	}
	return n
}

// drainLong waits for the stack to drain after a benchmark's load, which
// may leave minutes of work behind on a busy machine.
func drainLong(t *testing.T, s *devstack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatalf("queues did not drain: %v", err)
	}
}

// tableRows starts a two-column table on w and returns its row writer.
func tableRows(w *strings.Builder) func(name, format string, args ...any) {
	fmt.Fprintf(w, "| %-44s | %s |\n|%s|%s|\n", "measure", "value", strings.Repeat("-", 46), strings.Repeat("-", 50))
	return func(name, format string, args ...any) {
		fmt.Fprintf(w, "| %-44s | %s |\n", name, fmt.Sprintf(format, args...))
	}
}

// report logs a table and appends it to -fairness.out.
func report(t *testing.T, table string) {
	t.Log("\n" + table)
	if *fairnessOut == "" {
		return
	}
	f, err := os.OpenFile(*fairnessOut, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, table); err != nil {
		t.Fatal(err)
	}
}

// TestFleetBenchmark has -fleet.tenants tenants each post
// -fleet.entities entities (a customer per 10 invoices) at once and
// prints the fleet's throughput and how evenly the tenants finished.
func TestFleetBenchmark(t *testing.T) {
	if *fleetTenants <= 0 {
		t.Skip("the fleet benchmark runs with -fleet.tenants=N (make bench-fairness)")
	}
	log := slog.New(slog.DiscardHandler)
	if *fairnessLog != "" {
		log = slog.New(slog.NewJSONHandler(traced(t, io.Discard), nil))
	}
	s := newStack(t, devstack.Options{Log: log})
	customers := max(1, *fleetEntities/10)
	fleet := newFleet(t, s, "fleet", *fleetTenants, customers, *fleetEntities-customers)

	start := time.Now()
	errs := make(chan error, len(fleet))
	for _, f := range fleet {
		go func() { errs <- f.postBackfill(fleetSenders) }()
	}
	var failed error
	for range fleet {
		if err := <-errs; err != nil && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		t.Fatalf("a tenant's events were not all accepted: %v", failed)
	}
	posting := time.Since(start)
	deadline := start.Add(*benchTimeout)
	pending := slices.Clone(fleet)
	for len(pending) > 0 && time.Now().Before(deadline) {
		pending = slices.DeleteFunc(pending, func(f *fleetTenant) bool {
			n, err := syncedOf(s, f.e.tenant)
			return err == nil && n >= *fleetEntities
		})
		time.Sleep(time.Second)
	}
	drainLong(t, s)
	var times []time.Duration
	var last time.Time
	for _, f := range fleet {
		at, which, err := f.lastLinkedEntity()
		if err != nil {
			t.Error(err)
			continue
		}
		if *fairnessLog != "" {
			t.Logf("tenant %s: last linked %s at %s", f.e.tenant, which, at.Sub(start).Round(time.Millisecond))
		}
		times = append(times, at.Sub(start))
		if at.After(last) {
			last = at
		}
	}
	slices.Sort(times)
	total := len(times) * *fleetEntities
	var w strings.Builder
	fmt.Fprintf(&w, "Fleet: %d tenants × %d entities (%d customers, %d invoices each) posted together\n\n",
		len(fleet), *fleetEntities, customers, *fleetEntities-customers)
	row := tableRows(&w)
	row("tenants complete", "%d of %d (posting took %s)", len(times), len(fleet), posting.Round(time.Second))
	if len(times) > 0 {
		span := last.Sub(start)
		row("all entities synced in", "%s", span.Round(time.Second))
		row("total entities/min", "%.0f", float64(total)/span.Minutes())
		row("per-tenant completion", "p50 %s · p99 %s · max %s · min %s", percentile(times, 50).Round(time.Second),
			percentile(times, 99).Round(time.Second), times[len(times)-1].Round(time.Second), times[0].Round(time.Second))
		row("fairness: max/min completion", "%.2f", float64(times[len(times)-1])/float64(times[0]))
	}
	row("webhooks retried after 429/503", "%d", sumRetried(fleet))
	row("dead letters", "%d", deadLetters(t, s))
	report(t, w.String())
}

// fleetSenders is each fleet tenant's concurrent senders: a hundred
// tenants posting at once are 200 requests in flight.
const fleetSenders = 2
