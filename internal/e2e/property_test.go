package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
)

// The property test's size and seed; make property-long runs it big.
var (
	propertySeed      = flag.Uint64("property.seed", 0, "seed of the property test (0: a new one, printed)")
	propertyCustomers = flag.Int("property.customers", 6, "customers in the property test, over all tenants")
	propertyEvents    = flag.Int("property.events", 300, "billing events the property test generates, over all tenants")
	propertyPerTenant = flag.Int("property.per-tenant", 3, "customers per tenant (each tenant is its own QuickBooks company)")
	propertyFaults    = flag.Int("property.faults", 1, "rounds of faults per tenant (each: 429, 500, 503, 2 dropped responses, token expiry)")
	propertyTimeouts  = flag.Int("property.timeouts", 0, "timeouts per tenant (each holds a sync for the client's 60 s timeout)")
	propertyAutoApply = flag.Bool("property.autoapply", true, "leave QuickBooks' auto-apply preferences on, as in a new company")
	propertyLog       = flag.String("property.log", "", "write the stack's logs to this file (default: warnings to the test log)")
)

// propertyTenant is one tenant of the run: its billing history, its
// deliveries and what the webhook answered.
type propertyTenant struct {
	env        *tenantEnv
	model      *billingModel
	deliveries []delivery
	stats      deliveryStats
}

// TestProperty generates random but consistent billing histories (every
// kind, updates, voids, partial, split and over-payments, credits,
// refunds, reversals, write-offs), delivers them with duplicates,
// reordering and late versions while QuickBooks throttles, fails, times
// out, drops responses after committing and expires tokens, and then
// checks the accounting invariant for every customer and that nothing
// exists twice in QuickBooks. Reproduce a run with the seed it prints.
func TestProperty(t *testing.T) {
	seed := *propertySeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	repro := fmt.Sprintf("go test -count=1 -run '^TestProperty$' ./internal/e2e -args -property.seed=%d "+
		"-property.customers=%d -property.events=%d -property.per-tenant=%d -property.faults=%d -property.timeouts=%d -property.autoapply=%t",
		seed, *propertyCustomers, *propertyEvents, *propertyPerTenant, *propertyFaults, *propertyTimeouts, *propertyAutoApply)
	t.Logf("seed %d; reproduce with: %s", seed, repro)
	defer func() {
		if t.Failed() {
			t.Logf("FAILED with seed %d; reproduce with: %s", seed, repro)
		}
	}()
	start := time.Now()
	s := newStack(t, devstack.Options{ThrottleBackoff: time.Second, Log: propertyLogger(t)})
	tenants := propertyTenants(t, s, seed)

	var wg sync.WaitGroup
	for _, pt := range tenants {
		wg.Go(func() { pt.stats = pt.env.deliver(pt.deliveries) })
	}
	wg.Wait()
	delivered := time.Since(start)
	parked, unmatched := settle(t, s, tenants)

	f, sum := checkTenants(t, s, tenants)
	if n := deadLetters(t, s); n > 0 {
		f.add("dead-letter", "%d messages in dead-letter queues: only poison messages may end there", n)
	}
	t.Logf("seed %d: %d tenants, %d customer histories, %d events %v; %d posts (%d same-id duplicates, %d same-version re-sends, "+
		"%d late re-sends, %d answered stale); faults planned %v, %d hit QuickBooks, %d never matched; delivered in %s; "+
		"%d entities not final after the drain, no scheduler pass, %d messages dead-lettered; done in %s",
		seed, len(tenants), *propertyCustomers, sum.events, sum.types, sum.posts, sum.duplicates, sum.resent, sum.late, sum.stale,
		sum.planned, sum.faultsHit, unmatched, delivered.Round(time.Millisecond), parked, deadLetters(t, s),
		time.Since(start).Round(time.Millisecond))
	t.Logf("QuickBooks objects %d; mismatches %d, duplicates %d, missing %d, unexpected %d, empty leftovers %d, "+
		"entities not synced %d, delivery surprises %d", sum.objects, f.count("mismatch"), f.count("duplicate"),
		f.count("missing"), f.count("unexpected"), f.count("leftover"), f.count("status"), f.count("delivery"))
	logCosts(t, s, tenants)
	for _, cat := range slices.Sorted(maps.Keys(f.byCategory)) {
		msgs := f.byCategory[cat]
		for i, msg := range msgs {
			if i == 25 {
				t.Errorf("%s: %d more", cat, len(msgs)-i)
				break
			}
			t.Errorf("%s: %s", cat, msg)
		}
	}
}

// runSummary is what a run generated, sent and found, over all tenants.
type runSummary struct {
	events, posts, duplicates, resent, late, stale, faultsHit, objects int
	types, planned                                                     map[string]int
}

// checkTenants checks every tenant's books and statuses against its
// billing model and sums up the run.
func checkTenants(t *testing.T, s *devstack.Stack, tenants []*propertyTenant) (findings, runSummary) {
	var f findings
	sum := runSummary{types: map[string]int{}, planned: map[string]int{}}
	for _, pt := range tenants {
		f.scope = pt.env.tenant
		for _, u := range pt.stats.unexpected {
			f.add("delivery", "%s", u)
		}
		books := pt.env.readBooks()
		for _, objs := range books.objects {
			sum.objects += len(objs)
		}
		pt.model.checkInvariant(books, &f)
		var statuses findings
		if err := pt.model.checkStatuses(context.Background(), s.Store(), &statuses); err != nil {
			t.Fatal(err)
		}
		logHolders(t, pt, statuses.byCategory["status"])
		for _, msg := range statuses.byCategory["status"] {
			f.add("status", "%s", msg)
		}
		st, err := pt.env.simStats()
		if err != nil {
			t.Fatal(err)
		}
		sum.faultsHit += st.FaultsInjected
		sum.events += len(pt.model.events)
		for _, ev := range pt.model.events {
			sum.types[ev.Type]++
		}
		sum.posts, sum.duplicates = sum.posts+pt.stats.posts, sum.duplicates+pt.stats.duplicatesSent
		sum.late, sum.stale = sum.late+pt.stats.lateSent, sum.stale+pt.stats.stale
		sum.resent += pt.stats.resentSent
		for k, n := range pt.stats.faultsPlanned {
			sum.planned[k] += n
		}
	}
	return f, sum
}

// propertyTenants creates the tenants, connects each to its own company
// and generates its history, deliveries and faults from the seed.
func propertyTenants(t *testing.T, s *devstack.Stack, seed uint64) []*propertyTenant {
	per := max(1, *propertyPerTenant)
	n := max(1, (*propertyCustomers+per-1)/per)
	var out []*propertyTenant
	left := *propertyCustomers
	for i := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		name := fmt.Sprintf("prop%d", i+1)
		customers := min(per, left)
		left -= customers
		m := newBillingModel(name, rng)
		m.generate(max(1, customers), *propertyEvents*max(1, customers)/max(1, *propertyCustomers))
		pt := &propertyTenant{env: newTenant(t, s, name), model: m}
		if !*propertyAutoApply {
			body := []byte(`{"auto_apply_credit":false,"auto_apply_payments":false}`)
			if status, out, err := pt.env.simControl(http.MethodPatch, "/preferences", body); err != nil || status != http.StatusOK {
				t.Fatalf("turn auto-apply off: %d %s %v", status, out, err)
			}
		}
		pt.deliveries = schedule(rng, m.events, planFaults(rng, *propertyFaults, *propertyTimeouts))
		out = append(out, pt)
	}
	return out
}

// settle waits until the stack has nothing left to do: every message
// handled, every deferred sync resumed and done. No scheduler pass runs:
// what converges must converge from the deliveries alone. Fault rules
// nothing matched are cleared then. It returns how many entities are not
// final and the fault rules cleared.
func settle(t *testing.T, s *devstack.Stack, tenants []*propertyTenant) (open, unmatched int) {
	ctx := context.Background()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := s.Drain(dctx); err != nil {
		// Name what is still open, with its attempts and reason, so the
		// failure says which sync never finished and why.
		for _, pt := range tenants {
			var f findings
			if serr := pt.model.checkStatuses(ctx, s.Store(), &f); serr == nil {
				for _, msg := range f.byCategory["status"] {
					t.Errorf("not final when the drain gave up: %s: %s", pt.model.tenant, msg)
				}
				logHolders(t, pt, f.byCategory["status"])
			}
		}
		t.Fatalf("queues did not drain: %v", err)
	}
	for _, pt := range tenants {
		n, err := pt.env.pendingFaults()
		if err != nil {
			t.Fatal(err)
		}
		unmatched += n
		var f findings
		if err := pt.model.checkStatuses(ctx, s.Store(), &f); err != nil {
			t.Fatal(err)
		}
		open += f.count("status")
	}
	return open, unmatched
}

// deadLetters counts the messages in the dead-letter queues, the defer
// queue's included.
func deadLetters(t *testing.T, s *devstack.Stack) int {
	st, err := s.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := st.Deferred.DeadLetters
	for _, q := range st.Queues {
		n += q.DeadLetters
	}
	return n
}

// logCosts prints the requests the functions sent per synced entity.
func logCosts(t *testing.T, s *devstack.Stack, tenants []*propertyTenant) {
	c := s.Counts()
	entities, events := 0, 0
	for _, pt := range tenants {
		m := pt.model
		entities += len(m.customers) + len(m.products) + len(m.invoices) + len(m.payments) + len(m.credits) + len(m.refunds)
		events += len(m.events)
	}
	n := float64(max(1, entities))
	t.Logf("requests per billing entity (%d entities, faults and retries included): QBO %.2f, DynamoDB %.2f, SQS %.2f",
		entities, float64(devstack.Total(c.QBO))/n, float64(devstack.Total(c.DynamoDB))/n, float64(devstack.Total(c.SQS))/n)
	// An entity of a history changes many times (an invoice is created,
	// updated, paid, voided); per billing event is what each change costs.
	t.Logf("QBO requests per billing event (%d events): %.2f", events, float64(devstack.Total(c.QBO))/float64(max(1, events)))
	t.Logf("QBO %s", breakdown(c.QBO))
	t.Logf("DynamoDB %s", breakdown(c.DynamoDB))
	t.Logf("SQS %s", breakdown(c.SQS))
}

// propertyLogger sends the stack's logs to the -property.log file, or its
// warnings to the test log.
func propertyLogger(t *testing.T) *slog.Logger {
	if *propertyLog == "" {
		return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	file, err := os.Create(*propertyLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	return slog.New(slog.NewJSONHandler(io.Writer(file), nil))
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var documentPattern = regexp.MustCompile(`(Invoice|CreditMemo) (\d+) \(`)

// logHolders names, for every document a refusal in msgs says is
// over-applied, the payments in QuickBooks that apply it and by how much:
// what holds the balance the refused entity waits for.
func logHolders(t *testing.T, pt *propertyTenant, msgs []string) {
	docs := map[string]bool{}
	for _, m := range msgs {
		for _, d := range documentPattern.FindAllStringSubmatch(m, -1) {
			docs[d[1]+" "+d[2]] = true
		}
	}
	if len(docs) == 0 {
		return
	}
	b := pt.env.readBooks()
	for doc := range docs {
		typ, id, _ := strings.Cut(doc, " ")
		for _, entity := range []string{"Invoice", "CreditMemo"} {
			for _, o := range b.objects[entity] {
				if entity == typ && str(o["Id"]) == id {
					t.Logf("%s: %s %s [%s] total %v balance %v remaining %v", pt.model.tenant, typ, id, markerOf(o),
						o["TotalAmt"], o["Balance"], o["RemainingCredit"])
				}
			}
		}
		for _, p := range b.objects["Payment"] {
			lines, _ := p["Line"].([]any)
			for _, l := range lines {
				line, _ := l.(map[string]any)
				linked, _ := line["LinkedTxn"].([]any)
				for _, lt := range linked {
					ltm, _ := lt.(map[string]any)
					if str(ltm["TxnType"]) == typ && str(ltm["TxnId"]) == id {
						t.Logf("%s:   held by Payment %s [%s] total %v: %v; billing wants %s", pt.model.tenant, str(p["Id"]),
							markerOf(p), p["TotalAmt"], line["Amount"], pt.model.wants(markerOf(p)))
					}
				}
			}
		}
	}
}

// wants describes what billing applies for the entity named by marker.
func (m *billingModel) wants(marker string) string {
	fields := strings.Fields(marker)
	if len(fields) < 2 {
		return "nothing (not billing's)"
	}
	for _, p := range m.payments {
		if fields[0] == "payment" && p.id == fields[1] {
			return fmt.Sprintf("v%d voided=%v apps %v", p.version, p.voided, p.apps)
		}
	}
	for _, c := range m.credits {
		if string(c.kind) == fields[0] && c.id == fields[1] {
			return fmt.Sprintf("v%d voided=%v amount %d apps %v", c.version, c.voided, c.amount, c.apps)
		}
	}
	return "unknown"
}
