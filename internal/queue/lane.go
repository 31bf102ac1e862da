package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/change"
)

// Lane is which of its kind's two queues a message waits in (package
// change).
type Lane = change.Lane

// The lanes.
const (
	LaneLive     = change.LaneLive
	LaneBackfill = change.LaneBackfill
)

type laneKey struct{}

// withLane marks ctx as handling a message of lane l: what the handling
// publishes (wake-ups of dependents) takes that lane when the
// dependent's group holds none, so a backfill's waiting invoices do not
// move into the live lane when their customer links.
func withLane(ctx context.Context, l Lane) context.Context {
	if l == LaneLive {
		return ctx
	}
	return context.WithValue(ctx, laneKey{}, l)
}

func laneOf(ctx context.Context) Lane {
	l, _ := ctx.Value(laneKey{}).(Lane)
	return l
}

// Defaults of the webhook's lane rule (template parameters
// LiveEventsPerMinute and BackfillAgeSeconds).
const (
	DefaultLiveEventsPerMinute = 120
	DefaultBackfillAge         = 15 * time.Minute
)

// EventCounter counts a tenant's events per minute.
type EventCounter interface {
	CountEvent(ctx context.Context, tenant string, at time.Time) (int64, error)
}

// Lanes gives a message group that holds no lane (see LaneWindow) its
// lane from the event that opens it, as the webhook receives it. The
// event is backfill when it happened more than BackfillAge ago (a
// billing system replaying its history), or when its tenant already
// opened groups with LivePerMinute events this minute: a company syncs
// at most about 460 requests a minute, so a tenant posting faster builds
// a backlog that would otherwise stand ahead of every other tenant's
// events. Events of groups that hold a lane are not counted; they stay
// where their group is.
type Lanes struct {
	Counter       EventCounter
	LivePerMinute int
	BackfillAge   time.Duration
	Now           func() time.Time
	Log           *slog.Logger
}

// Choose returns the lane of the group that tenant's event, occurred at
// occurred, opens.
// A count that fails leaves the event live: the lane only orders work,
// and the event must not be refused for it.
func (l *Lanes) Choose(ctx context.Context, tenant string, occurred time.Time) Lane {
	now, age, limit := time.Now, l.BackfillAge, l.LivePerMinute
	if l.Now != nil {
		now = l.Now
	}
	if age <= 0 {
		age = DefaultBackfillAge
	}
	if limit <= 0 {
		limit = DefaultLiveEventsPerMinute
	}
	at := now()
	if !occurred.IsZero() && at.Sub(occurred) > age {
		return LaneBackfill
	}
	n, err := l.Counter.CountEvent(ctx, tenant, at)
	if err != nil {
		if l.Log != nil {
			l.Log.WarnContext(ctx, "event rate not counted; queued as live", "tenant", tenant, "err", err)
		}
		return LaneLive
	}
	if n > int64(limit) {
		return LaneBackfill
	}
	return LaneLive
}

// LaneWindow is how long a message group (one customer of one tenant,
// or a tenant's products) keeps its lane after it was last touched: a
// message of it published, deferred (then from the time it is due) or
// taken up by a sync. A group changes lanes only after that long without
// any of these, and a sync takes up a message only in its group's lane
// (Publisher.InGroupLane), so two syncs of one customer never run at
// once in the two queues. The window must outlast the longest handling
// of one message (the sync functions' 60 s timeout), or a group could
// change lanes while one of its messages is being synced; 15 minutes
// also outlasts a live message's wait in its queue many times over, so a
// message moved to its group's other lane is rare.
const LaneWindow = 15 * time.Minute

// LaneRefresh: a sync takes up a message published (or moved) less than
// this long ago without holding its group's lane again. The publisher's
// hold then still outlasts the sync by LaneWindow-LaneRefresh, far more
// than the sync functions' 60 s, and the request the hold would cost is
// saved on nearly every message.
const LaneRefresh = 5 * time.Minute

// LaneStore keeps the lane each message group holds, one item per
// active group that expires with its hold.
type LaneStore interface {
	// HoldLane returns the lane group holds, kept until until at least;
	// false when it holds none.
	HoldLane(ctx context.Context, tenant, group string, until time.Time) (Lane, bool, error)
	// ClaimLane gives group lane until until unless it holds one; false
	// when another request claimed it first.
	ClaimLane(ctx context.Context, tenant, group string, lane Lane, until time.Time) (bool, error)
}

// groupLane returns the lane of m's group, held until until at least. A
// group that holds none takes choose's lane: the webhook's rule for an
// event, the lane of the message being handled for a wake-up.
func groupLane(ctx context.Context, s LaneStore, m Message, until time.Time, choose func(context.Context) Lane) (Lane, error) {
	group := m.GroupID()
	var want *Lane
	// Two requests racing for a group without a lane: one claims it, the
	// other holds the winner's lane on its next turn.
	for range 3 {
		l, ok, err := s.HoldLane(ctx, m.Tenant, group, until)
		if err != nil || ok {
			return l, err
		}
		if want == nil {
			c := choose(ctx)
			want = &c
		}
		ok, err = s.ClaimLane(ctx, m.Tenant, group, *want, until)
		if err != nil || ok {
			return *want, err
		}
	}
	return LaneLive, fmt.Errorf("lane of group %s: claimed and expired while asked", group)
}

// heldLanesMax bounds the holds a process remembers; past it they are
// forgotten together.
const heldLanesMax = 10000

// heldLanes remembers the lane holds this process wrote, by message
// group. A hold is only ever extended, and a lane given only once the
// hold ended, so a remembered hold that has not ended is still the
// group's.
type heldLanes struct {
	mu    sync.Mutex
	holds map[string]heldLane
}

type heldLane struct {
	lane  Lane
	until time.Time
}

// fresh returns group's remembered hold when it was written less than
// LaneRefresh before now.
func (h *heldLanes) fresh(group string, now time.Time) (Lane, time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	hl, ok := h.holds[group]
	if !ok || hl.until.Sub(now) < LaneWindow-LaneRefresh {
		return LaneLive, time.Time{}, false
	}
	return hl.lane, hl.until, true
}

func (h *heldLanes) put(group string, l Lane, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holds == nil || len(h.holds) >= heldLanesMax {
		h.holds = map[string]heldLane{}
	}
	h.holds[group] = heldLane{lane: l, until: until}
}
