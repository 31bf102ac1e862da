package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// make bench sets these; without -bench.invoices the benchmark is skipped,
// so make test stays fast.
var (
	benchInvoices  = flag.Int("bench.invoices", 0, "invoices the backfill benchmark posts (0: skip it)")
	benchCustomers = flag.Int("bench.customers", 0, "customers they belong to (0: one per 10 invoices)")
	benchRate      = flag.Int("bench.rate", 10, "events per second of the steady latency phase")
	benchSteady    = flag.Duration("bench.steady", time.Minute, "length of the steady latency phase")
	benchOut       = flag.String("bench.out", "", "file the table is written to (besides the test log)")
	benchProgress  = flag.String("bench.progress", "", "file progress lines are written to while the run syncs")
	benchTimeout   = flag.Duration("bench.timeout", 45*time.Minute, "how long the backfill may take to sync")
	benchLog       = flag.String("bench.log", "", "file the functions' JSON logs go to (default: discarded)")
)

// benchSenders post the backfill concurrently, as a billing system's
// export job would.
const benchSenders = 8

// TestBackfillBenchmark backfills one company (customers, then their
// invoices, posted as fast as the webhook takes them) on the local stack
// with QuickBooks at Intuit's limits, then posts invoices at a steady
// rate, and prints one table: throughput, 429s, dead letters, requests
// and write units per entity by kind, and webhook → QuickBooks latency.
func TestBackfillBenchmark(t *testing.T) {
	if *benchInvoices <= 0 {
		t.Skip("the backfill benchmark runs with -bench.invoices=N (make bench)")
	}
	invoices, customers := *benchInvoices, *benchCustomers
	if customers <= 0 {
		customers = max(1, invoices/10)
	}
	log := slog.New(slog.DiscardHandler)
	if *benchLog != "" {
		f, err := os.Create(*benchLog)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		log = slog.New(slog.NewJSONHandler(f, nil))
	}
	s := newStack(t, devstack.Options{Log: log})
	b := &backfill{t: t, s: s, e: newTenant(t, s, "bench"), customers: customers, invoices: invoices}
	if *benchProgress != "" {
		f, err := os.Create(*benchProgress)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b.progress = f
	}
	b.e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Bench plan"))
	b.e.drain()
	before, err := b.e.simStats()
	if err != nil {
		t.Fatal(err)
	}
	s.ResetCounts()

	start := time.Now()
	b.post(customers, func(i int) (string, any) {
		return "customer.created", customer(fmt.Sprintf("cus_%d", i), 1, fmt.Sprintf("Bench Customer %d", i), fmt.Sprintf("c%d@bench.example", i))
	})
	afterCustomers := s.Counts().Functions["WebhookFunction"]
	b.post(invoices, func(i int) (string, any) { return "invoice.created", b.invoice("inv", i) })
	b.webhook = [2]devstack.FunctionCounts{afterCustomers, minus(s.Counts().Functions["WebhookFunction"], afterCustomers)}
	synced := b.waitSynced(customers+invoices+1, *benchTimeout)
	elapsed := time.Since(start)
	b.e.drain()
	counts := s.Counts()
	after, err := b.e.simStats()
	if err != nil {
		t.Fatal(err)
	}
	dead := deadLetters(t, s)

	lat := b.steady(*benchRate, *benchSteady)
	table := b.table(elapsed, synced, after.Throttled-before.Throttled, dead, counts, lat, batchesBetween(before, after))
	t.Log("\n" + table)
	if *benchOut != "" {
		if err := os.WriteFile(*benchOut, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if synced != customers+invoices {
		t.Errorf("%d of %d entities synced", synced, customers+invoices)
	}
}

type backfill struct {
	t                   *testing.T
	s                   *devstack.Stack
	e                   *tenantEnv
	customers, invoices int
	// webhook is the webhook function's requests while it took the
	// customers, and the invoices.
	webhook [2]devstack.FunctionCounts
	// progress receives a line every progressEvery while a phase syncs.
	progress io.Writer
	// retried counts the webhooks sent again after a 429 or 503.
	retried atomic.Int64
}

func (b *backfill) invoice(prefix string, i int) map[string]any {
	return invoice(fmt.Sprintf("%s_%d", prefix, i), 1, fmt.Sprintf("cus_%d", i%b.customers), fmt.Sprintf("%s-%d", prefix, i), "posted",
		line{id: "l1", product: "prod_1", qty: "2", unit: 1500 + int64(i%100), tax: 210})
}

// post sends n events built by event from benchSenders senders and
// fails the test on any answer but 202.
func (b *backfill) post(n int, event func(i int) (string, any)) {
	b.t.Helper()
	if err := b.postAll(n, benchSenders, event); err != nil {
		b.t.Fatal(err)
	}
}

// postAll sends n events built by event from senders senders and returns
// the first answer that is not 202, after retries.
func (b *backfill) postAll(n, senders int, event func(i int) (string, any)) error {
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for w := range senders {
		wg.Go(func() {
			for i := w; i < n; i += senders {
				typ, data := event(i)
				if err := b.postOne(fmt.Sprintf("evt_bench_%s_%d", typ, i), typ, data); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// postRetries bounds how often postOne sends an event the service
// answered 429 or 503, as a billing system retries with backoff.
const postRetries = 8

func (b *backfill) postOne(id string, typ string, data any) error {
	body, err := json.Marshal(map[string]any{"id": id, "type": typ, "occurred_at": time.Now().UTC().Format(time.RFC3339), "data": data})
	if err != nil {
		return err
	}
	wait := 250 * time.Millisecond
	for try := 0; ; try++ {
		status, answer, err := b.s.PostEvent(context.Background(), b.e.tenant, b.e.secret, body)
		busy := err == nil && (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests)
		if busy && try < postRetries {
			b.retried.Add(1)
			time.Sleep(wait)
			wait = min(2*wait, 4*time.Second)
			continue
		}
		// A retry answered "duplicate" found the event already accepted:
		// the earlier attempt's answer was lost, not its work.
		if err == nil && try > 0 && status == http.StatusOK && strings.Contains(string(answer), `"duplicate"`) {
			return nil
		}
		if err == nil && status != http.StatusAccepted {
			err = fmt.Errorf("post %s for %s: %d %s, want 202", typ, b.e.tenant, status, answer)
		}
		return err
	}
}

// waitSynced polls the tenant's counters until want entities are synced
// (or timeout) and returns how many are, the product left out. Every
// progressEvery it writes a progress line to b.progress.
func (b *backfill) waitSynced(want int, timeout time.Duration) int {
	start := time.Now()
	deadline, next := start.Add(timeout), start.Add(progressEvery)
	for {
		c, err := b.s.Store().Counts(context.Background(), b.e.tenant)
		if err != nil {
			b.t.Fatal(err)
		}
		by := map[store.Status]int{}
		for _, k := range billing.Kinds {
			for st, n := range c[k] {
				by[st] += int(n)
			}
		}
		n := by[store.StatusSynced]
		if n >= want || time.Now().After(deadline) {
			return n - 1
		}
		if time.Now().After(next) {
			next = next.Add(progressEvery)
			b.logProgress(time.Since(start), by)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// progressEvery spaces the progress lines of a benchmark run.
const progressEvery = 30 * time.Second

// logProgress writes how far the run is: statuses and what the queues hold.
func (b *backfill) logProgress(at time.Duration, by map[store.Status]int) {
	if b.progress == nil {
		return
	}
	q, err := b.s.Status(context.Background())
	queued := 0
	for _, k := range q.Queues {
		queued += k.Visible + k.InFlight + k.Delayed
	}
	fmt.Fprintf(b.progress, "%6s  synced %5d  not tried %5d  waiting %5d  warnings %3d  queued %5d  deferred %4d  %v\n",
		at.Round(time.Second), by[store.StatusSynced]-1, by[store.StatusNotTried], by[store.StatusWaiting], by[store.StatusWarning],
		queued, q.Deferred.Visible+q.Deferred.InFlight+q.Deferred.Delayed, errOrEmpty(err))
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func minus(a, b devstack.FunctionCounts) devstack.FunctionCounts {
	return devstack.FunctionCounts{DynamoDB: a.DynamoDB - b.DynamoDB, SQS: a.SQS - b.SQS, QBO: a.QBO - b.QBO,
		ReadUnits: a.ReadUnits - b.ReadUnits, WriteUnits: a.WriteUnits - b.WriteUnits}
}

func plus(a, b devstack.FunctionCounts) devstack.FunctionCounts {
	return devstack.FunctionCounts{DynamoDB: a.DynamoDB + b.DynamoDB, SQS: a.SQS + b.SQS, QBO: a.QBO + b.QBO,
		ReadUnits: a.ReadUnits + b.ReadUnits, WriteUnits: a.WriteUnits + b.WriteUnits}
}

// percentile returns the p-th percentile (0-100) of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	if !slices.IsSorted(ds) {
		ds = slices.Sorted(slices.Values(ds))
	}
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
