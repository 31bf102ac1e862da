package localaws

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

func repoTemplate(t *testing.T) *Template {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := LoadTemplate(filepath.Join(root, TemplateFileName))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestTemplateTableMatchesCode(t *testing.T) {
	tpl := repoTemplate(t)
	s, err := tpl.Table(TableLogicalID)
	if err != nil {
		t.Fatal(err)
	}
	if StatusIndex != store.StatusIndex {
		t.Errorf("localaws.StatusIndex = %q, store.StatusIndex = %q", StatusIndex, store.StatusIndex)
	}
	if s.BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode = %q, want PAY_PER_REQUEST", s.BillingMode)
	}
	wantKeys := []KeyElement{{PartitionKey, "HASH"}, {SortKey, "RANGE"}}
	if d := cmp.Diff(wantKeys, s.KeySchema); d != "" {
		t.Errorf("table key schema (-want +got):\n%s", d)
	}
	var indexes []string
	for _, g := range s.GlobalSecondaryIndexes {
		indexes = append(indexes, g.IndexName)
		if g.IndexName != StatusIndex {
			continue
		}
		if d := cmp.Diff([]KeyElement{{StatusIndexPK, "HASH"}, {StatusIndexSK, "RANGE"}}, g.KeySchema); d != "" {
			t.Errorf("%s key schema (-want +got):\n%s", StatusIndex, d)
		}
		if g.Projection.ProjectionType != "ALL" {
			t.Errorf("%s projection = %q, want ALL", StatusIndex, g.Projection.ProjectionType)
		}
	}
	if !slices.Equal(indexes, []string{StatusIndex}) {
		t.Errorf("indexes = %v, want [%s]", indexes, StatusIndex)
	}
	// CloudFormation rejects attribute definitions that no key uses.
	defined := map[string]string{}
	for _, a := range s.AttributeDefinitions {
		defined[a.AttributeName] = a.AttributeType
	}
	wantDefined := map[string]string{PartitionKey: "S", SortKey: "S", StatusIndexPK: "S", StatusIndexSK: "S"}
	if d := cmp.Diff(wantDefined, defined); d != "" {
		t.Errorf("attribute definitions (-want +got):\n%s", d)
	}
	if !s.TimeToLive.Enabled || s.TimeToLive.AttributeName != TTLAttribute {
		t.Errorf("TTL = %+v, want enabled on %s", s.TimeToLive, TTLAttribute)
	}
}

func TestTemplateQueuesAreFIFOWithFIFODeadLetterQueues(t *testing.T) {
	tpl := repoTemplate(t)
	for _, k := range billing.Kinds {
		t.Run(string(k), func(t *testing.T) {
			q, err := tpl.Queue(QueueLogicalID(k))
			if err != nil {
				t.Fatal(err)
			}
			dlq, err := tpl.Queue(DLQLogicalID(k))
			if err != nil {
				t.Fatal(err)
			}
			checkName(t, QueueLogicalID(k), q.QueueName, "stack-"+string(k)+".fifo")
			checkName(t, DLQLogicalID(k), dlq.QueueName, "stack-"+string(k)+"-dlq.fifo")
			if !q.FifoQueue || !dlq.FifoQueue {
				t.Errorf("FifoQueue: queue %v, dead-letter queue %v; want both true", q.FifoQueue, dlq.FifoQueue)
			}
			if q.ContentBasedDeduplication {
				t.Error("queue has ContentBasedDeduplication; the publisher sets deduplication ids")
			}
			if q.RedrivePolicy == nil {
				t.Fatal("queue has no RedrivePolicy")
			}
			target, err := q.RedrivePolicy.DeadLetterTarget()
			if err != nil || target != DLQLogicalID(k) {
				t.Errorf("redrive target = %q (%v), want %s", target, err, DLQLogicalID(k))
			}
			if q.RedrivePolicy.MaxReceiveCount != DLQMaxReceives {
				t.Errorf("maxReceiveCount = %d, want %d", q.RedrivePolicy.MaxReceiveCount, DLQMaxReceives)
			}
			if dlq.RedrivePolicy != nil {
				t.Error("dead-letter queue has a RedrivePolicy of its own")
			}
			if retention(dlq) <= retention(q) {
				t.Errorf("dead-letter retention %ds is not longer than the queue's %ds", retention(dlq), retention(q))
			}
		})
	}
}

func checkName(t *testing.T, id string, name Value, want string) {
	t.Helper()
	got, err := physicalName(id, name, "stack")
	if err != nil || got != want {
		t.Errorf("%s QueueName in stack %q = %q (%v), want %q", id, "stack", got, err, want)
	}
}

// retention is a queue's message retention in seconds (SQS's default: 4 days).
func retention(q QueueSpec) int {
	if q.MessageRetentionPeriod == nil {
		return 345600
	}
	return *q.MessageRetentionPeriod
}

// Every queue, not only the kinds', must be FIFO with a FIFO dead-letter
// queue that exists: a FIFO source cannot redrive to a standard queue.
// Every kind's queue and dead-letter queue is FIFO; the defer and
// outbound queues and their dead-letter queues are standard queues (only
// they take a delay per message).
func TestTemplateKindQueuesAreFIFO(t *testing.T) {
	tpl := repoTemplate(t)
	ids := tpl.LogicalIDs(TypeQueue)
	if len(ids) != 3*len(billing.Kinds)+4 {
		t.Errorf("template has %d queues, want %d (a live queue, a backfill queue and a dead-letter queue per kind, the defer and outbound queues with their own): %v",
			len(ids), 3*len(billing.Kinds)+4, ids)
	}
	for _, id := range ids {
		q, err := tpl.Queue(id)
		if err != nil {
			t.Fatal(err)
		}
		name, err := physicalName(id, q.QueueName, "stack")
		if standard := id == "DeferQueue" || id == "DeferDLQ" || id == "OutboundQueue" || id == "OutboundDLQ"; standard {
			if err != nil || q.FifoQueue || strings.HasSuffix(name, ".fifo") {
				t.Errorf("%s: FifoQueue %v, name %q (%v); want a standard queue", id, q.FifoQueue, name, err)
			}
			continue
		}
		if err != nil || !q.FifoQueue || !strings.HasSuffix(name, ".fifo") {
			t.Errorf("%s: FifoQueue %v, name %q (%v); want a FIFO queue named *.fifo", id, q.FifoQueue, name, err)
		}
		if q.RedrivePolicy == nil {
			continue
		}
		target, err := q.RedrivePolicy.DeadLetterTarget()
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if dlq, err := tpl.Queue(target); err != nil || !dlq.FifoQueue {
			t.Errorf("%s redrives to %s: %v, FIFO %v", id, target, err, dlq.FifoQueue)
		}
	}
}

func TestTemplateSyncFunctionPerKind(t *testing.T) {
	tpl := repoTemplate(t)
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range billing.Kinds {
		t.Run(string(k), func(t *testing.T) {
			f, ok := fns[SyncFunctionLogicalID(k)]
			if !ok {
				t.Fatalf("template has no %s", SyncFunctionLogicalID(k))
			}
			if v, _ := f.Environment[SyncKindEnv].Literal(); v != string(k) {
				t.Errorf("%s = %q, want %q", SyncKindEnv, v, k)
			}
			events, err := f.SQSEvents()
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 2 {
				t.Fatalf("%d SQS events, want 2 (live and backfill)", len(events))
			}
			lanes := map[string]struct{ queue, concurrency string }{
				"Queue":    {QueueLogicalID(k), "LiveConcurrency"},
				"Backfill": {BackfillQueueLogicalID(k), "BackfillConcurrency"},
			}
			for name, e := range events {
				want, ok := lanes[name]
				if !ok {
					t.Errorf("SQS event %s, want Queue and Backfill", name)
					continue
				}
				if id, err := e.QueueLogicalID(); err != nil || id != want.queue {
					t.Errorf("%s consumes %q (%v), want %s", name, id, err, want.queue)
				}
				if e.BatchSize < 1 || e.BatchSize > 10 {
					t.Errorf("BatchSize = %d, want 1..10 (FIFO maximum)", e.BatchSize)
				}
				if !slices.Contains(e.FunctionResponseTypes, "ReportBatchItemFailures") {
					t.Errorf("FunctionResponseTypes = %v, want ReportBatchItemFailures", e.FunctionResponseTypes)
				}
				if ref, _ := e.ScalingConfig.MaximumConcurrency.Ref(); ref != want.concurrency {
					t.Errorf("%s MaximumConcurrency = %s, want !Ref %s", name, e.ScalingConfig.MaximumConcurrency, want.concurrency)
				}
				if c, err := tpl.Int(e.ScalingConfig.MaximumConcurrency, Deployment{}); err != nil || c < 2 || c > 1000 {
					t.Errorf("%s MaximumConcurrency = %d (%v), want 2..1000", name, c, err)
				}
			}
		})
	}
}

// Lambda must finish a batch before the messages become visible again.
func TestTemplateVisibilityTimeoutCoversConsumers(t *testing.T) {
	tpl := repoTemplate(t)
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	consumers := 0
	for id, f := range fns {
		events, err := f.SQSEvents()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			consumers++
			qid, err := e.QueueLogicalID()
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			q, err := tpl.Queue(qid)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if q.VisibilityTimeout == nil {
				t.Errorf("%s has no VisibilityTimeout (SQS default 30 s); want >= 6 x %s timeout %d s", qid, id, f.Timeout)
			} else if *q.VisibilityTimeout < 6*f.Timeout {
				t.Errorf("%s visibility timeout %d s < 6 x %s timeout %d s", qid, *q.VisibilityTimeout, id, f.Timeout)
			}
		}
	}
	if consumers != 2*len(billing.Kinds)+2 {
		t.Errorf("%d SQS consumers, want %d (a sync function per kind on two lanes, the resume and outbound functions)", consumers, 2*len(billing.Kinds)+2)
	}
}

func TestTemplateReferencesAreDefined(t *testing.T) {
	tpl := repoTemplate(t)
	if refs := references(&tpl.root); len(refs) < 50 {
		t.Fatalf("found only %d references; the walker is not reading the template", len(refs))
	}
	for _, r := range undefined(tpl) {
		t.Errorf("%s is not defined", r)
	}
}

func TestUndefinedReferencesAreReported(t *testing.T) {
	tpl, err := ParseTemplate([]byte(`
Parameters:
  P: {Type: String}
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-${Missing}-${P}-${!Literal}"
      A: !Ref Nope
      B: !GetAtt Gone.Arn
      C: {"Fn::GetAtt": [Q, Arn]}
      D: !FindInMap [NoMap, a, b]
      E: !Sub ["${X}-${Q.Arn}-${Lost.Arn}", {X: !Ref P}]
      F: {Ref: AlsoMissing}
      G: !If [NoCondition, a, b]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range undefined(tpl) {
		got = append(got, r.fn+" "+r.target)
	}
	slices.Sort(got)
	want := []string{"FindInMap NoMap", "GetAtt Gone", "GetAtt Lost", "If NoCondition", "Ref AlsoMissing", "Ref Missing", "Ref Nope"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("undefined references (-want +got):\n%s", d)
	}
}

// The lanes' parameters default to what the code assumes when the
// variables are unset (the in-process dev stack), and every sync queue
// is in SQS's high-throughput FIFO mode.
func TestTemplateSizingParameters(t *testing.T) {
	tpl := repoTemplate(t)
	for name, want := range map[string]int{
		"LiveEventsPerMinute": queue.DefaultLiveEventsPerMinute,
		"BackfillAgeSeconds":  int(queue.DefaultBackfillAge / time.Second),
	} {
		var p struct {
			Default int `yaml:"Default"`
		}
		if node, ok := tpl.Parameters[name]; !ok || node.Decode(&p) != nil || p.Default != want {
			t.Errorf("parameter %s defaults to %d, want %d", name, p.Default, want)
		}
	}
	for _, k := range billing.Kinds {
		for _, id := range []string{QueueLogicalID(k), BackfillQueueLogicalID(k)} {
			q, err := tpl.Queue(id)
			if err != nil {
				t.Fatal(err)
			}
			if q.DeduplicationScope != "messageGroup" || q.FifoThroughputLimit != "perMessageGroupId" {
				t.Errorf("%s: DeduplicationScope %q, FifoThroughputLimit %q; want messageGroup, perMessageGroupId",
					id, q.DeduplicationScope, q.FifoThroughputLimit)
			}
		}
	}
}
