package syncer

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/record"
)

type publishedOnly struct{ published []change.Message }

func (p *publishedOnly) Publish(_ context.Context, m change.Message) error {
	p.published = append(p.published, m)
	return nil
}

func (p *publishedOnly) Defer(context.Context, change.Message, time.Time) error { return nil }

// A run already nested maxNested deep does not nest again: the entity it
// would converge is queued, so no path can recurse without end. (No store
// is configured: running the attempt would fail the test.)
func TestSyncNowBeyondTheBoundIsQueued(t *testing.T) {
	q := &publishedOnly{}
	e := New(Config{Queue: q, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	r := &run{e: e, st: record.EntityState{Snapshot: record.Snapshot{Tenant: "acme"}}, depth: maxNested}

	if err := r.syncNow(context.Background(), billing.Ref{Kind: billing.KindPayment, ID: "pay_1"}, "cus_1", "refund ref_1"); err != nil {
		t.Fatal(err)
	}
	want := change.Message{Tenant: "acme", Kind: billing.KindPayment, ID: "pay_1", CustomerID: "cus_1", Reason: "refund ref_1"}
	if len(q.published) != 1 || !reflect.DeepEqual(q.published[0], want) {
		t.Errorf("published %+v, want %+v once", q.published, want)
	}
}
