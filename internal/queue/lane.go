package queue

import (
	"context"
	"log/slog"
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
// publishes (wake-ups of dependents) stays in that lane, so a backfill's
// waiting invoices do not move into the live lane when their customer
// links.
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

// Lanes tells backfill from live events as the webhook receives them.
// An event is backfill when it happened more than BackfillAge ago (a
// billing system replaying its history), or when its tenant already
// posted LivePerMinute events this minute: a company syncs at most about
// 460 requests a minute, so a tenant posting faster builds a backlog
// that would otherwise stand ahead of every other tenant's events.
type Lanes struct {
	Counter       EventCounter
	LivePerMinute int
	BackfillAge   time.Duration
	Now           func() time.Time
	Log           *slog.Logger
}

// Choose returns the lane of tenant's event that occurred at occurred.
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
