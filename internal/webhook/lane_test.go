package webhook

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/queue"
)

// choices answers the lanes it is given, in order, and records what it
// was asked.
type choices struct {
	lanes    []queue.Lane
	tenants  []string
	occurred []time.Time
}

func (c *choices) Choose(_ context.Context, tenant string, occurred time.Time) queue.Lane {
	c.tenants, c.occurred = append(c.tenants, tenant), append(c.occurred, occurred)
	l := c.lanes[0]
	c.lanes = c.lanes[1:]
	return l
}

// The webhook asks for the lane of each event it queues, with the
// event's time, queues the message in it and logs it; a duplicate is not
// queued and not counted.
func TestQueuedInTheChosenLane(t *testing.T) {
	e := newEnv()
	c := &choices{lanes: []queue.Lane{queue.LaneBackfill}}
	e.h.lanes = c
	req := e.fixture(t, "invoice-created.json")
	expect(t, e.post(t, req), 202, `{"event_id":"evt_demo_0004","status":"accepted"}`)
	expect(t, e.post(t, req), 200, `{"event_id":"evt_demo_0004","status":"duplicate"}`)
	if len(e.queue.msgs) != 1 || e.queue.msgs[0].Lane != queue.LaneBackfill {
		t.Fatalf("queued %+v, want one message in the backfill lane", e.queue.msgs)
	}
	want := time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC)
	if !slices.Equal(c.tenants, []string{demoTenant}) || !c.occurred[0].Equal(want) {
		t.Errorf("lane asked for %v at %v, want once for %s at %s", c.tenants, c.occurred, demoTenant, want)
	}
	if !strings.Contains(e.logs.String(), `"lane":"backfill"`) {
		t.Errorf("the accepted event's log line does not name its lane:\n%s", e.logs)
	}
}
