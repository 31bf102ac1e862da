package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/throttle"
)

// A company's single requests are admitted about 420 a minute; its batch
// schedule admits 36 batches of up to 30 creates on top. So a sync that
// the request schedule turns away is seated in a bunch (Bunches): one of
// the company's turns, on multiples of bunchSpacing, each with up to
// bunchSize seats. A sync waits for a single request no later than the
// turn it would be seated in (nextTurn): when more syncs come than the
// request schedule admits, those it would admit last go in the bunch
// instead, so neither way queues for long. The seat that opens a turn
// carries it: its message comes back at the turn and syncs every seated
// sync at once (HandleBunch), and their creates go out as one batch that
// waits for the batch schedule. Every other seated sync's own message
// comes back bunchGrace after the turn, in case the bunch did not sync it
// (a seat written too late, a bunch cut short); finding its entity synced
// at the version it was seated at, it ends at once.
const (
	bunchSize = 30
	// bunchSpacing leaves the batch schedule (one batch every 1.8 s) room
	// for the batches of a single invocation's creates.
	bunchSpacing = 2 * time.Second
	// bunchLead: a turn is no longer booked this close to it, so that
	// its seats are written before it is read (at the turn).
	bunchLead  = 300 * time.Millisecond
	bunchGrace = 30 * time.Second
)

// Bunches seats syncs in a company's bunches.
type Bunches interface {
	// BookBunch seats m in realm's first turn from earliest on with fewer
	// than size seats, turns spacing apart; it reports whether m opened it.
	BookBunch(ctx context.Context, realm string, m change.Message, size int, spacing time.Duration, earliest time.Time) (time.Time, bool, error)
	// Bunch returns the messages seated in realm's turn.
	Bunch(ctx context.Context, realm string, turn time.Time) ([]change.Message, error)
}

// Joiner gathers the syncs of a bunch, so that their creates go out
// together (a qbobatch round).
type Joiner interface {
	Join(ctx context.Context) (context.Context, func())
}

type seatedKey struct{}

// carryingKey marks a sync that carries a bunch in its own invocation: a
// wait of its own is deferred, never carried again.
type carryingKey struct{}

// carryNear is how near a turn must be for the invocation that opened it
// to carry it itself; carryRoom is the time the invocation must have left
// after the turn for the bunch's syncs.
const (
	carryNear = 3 * time.Second
	carryRoom = 40 * time.Second
)

// carriesAtOnce reports whether the sync of ctx carries the bunch it
// opened for turn itself, rather than deferring its message to the turn.
func (e *Engine) carriesAtOnce(ctx context.Context, turn time.Time) bool {
	if !e.mayBunch(ctx) {
		return false
	}
	now := e.cfg.Now()
	deadline, ok := ctx.Deadline()
	return turn.Sub(now) <= carryNear && (!ok || deadline.Sub(turn) >= carryRoom)
}

// seatedInBunch reports whether ctx's sync is one of a bunch's seats other
// than the one that carries it: its own message comes back after the turn,
// so a wait sends nothing.
func seatedInBunch(ctx context.Context) bool {
	v, _ := ctx.Value(seatedKey{}).(bool)
	return v
}

// seat seats m, turned away by realm's request schedule, in a bunch and
// defers its message: to the turn if it opened it, else to bunchGrace
// after. It reports false when no bunch is kept or none took m.
func (e *Engine) seat(ctx context.Context, log *slog.Logger, m change.Message, realm string) (bool, error) {
	if e.cfg.Bunches == nil || realm == "" {
		return false, nil
	}
	m.Bunch, m.Seated = 0, 0
	turn, opens, err := e.cfg.Bunches.BookBunch(ctx, realm, m, bunchSize, bunchSpacing, nextTurn(e.cfg.Now()))
	if err != nil {
		log.WarnContext(ctx, "no bunch took the sync; deferred alone", "err", err)
		return false, nil
	}
	until := turn.Add(bunchGrace)
	if opens {
		m.Bunch, m.Realm, until = turn.UnixMilli(), realm, turn
	} else {
		m.Seated = turn.UnixMilli()
	}
	log.InfoContext(ctx, "sync seated in a bunch", "turn", turn.UTC().Format(time.RFC3339Nano), "opens", opens)
	if opens && e.carriesAtOnce(ctx, turn) {
		// A near turn is carried by this invocation: no trip through the
		// defer queue, and its seats sync as soon as it comes.
		return true, e.HandleBunch(context.WithValue(ctx, carryingKey{}, true), m)
	}
	if err := e.cfg.Queue.Defer(ctx, m, until); err != nil {
		return false, fmt.Errorf("defer %s/%s seated in a bunch: %w", m.Kind, m.ID, err)
	}
	return true, nil
}

// HandleBunch syncs m, the message that opened a bunch, and every sync
// seated in it at once, in a round of their own (Config.BunchRound). Only
// m's own failure is returned: the others' messages come back after the
// turn.
func (e *Engine) HandleBunch(ctx context.Context, m change.Message) error {
	if e.cfg.Bunches == nil || e.cfg.BunchRound == nil {
		return e.Handle(ctx, m)
	}
	// The defer queue resumes up to a second early (SQS delays in whole
	// seconds): read the seats no earlier than the turn, once every seat
	// booked for it was written.
	turn := time.UnixMilli(m.Bunch)
	if err := sleepUntil(ctx, turn, e.cfg.Now()); err != nil {
		return err
	}
	seats, err := e.cfg.Bunches.Bunch(ctx, m.Realm, turn)
	if err != nil {
		return err
	}
	join := e.cfg.BunchRound()
	own := m
	own.Bunch, own.Realm = 0, ""
	type joined struct {
		ctx   context.Context
		leave func()
		m     change.Message
	}
	// Everyone joins before anyone starts, so that no create goes out
	// before the others could join it.
	var all []joined
	for _, s := range seats {
		if s.Tenant == own.Tenant && s.Kind == own.Kind && s.ID == own.ID {
			continue
		}
		c, leave := join.Join(context.WithValue(ctx, seatedKey{}, true))
		all = append(all, joined{c, leave, s})
	}
	c, leave := join.Join(ctx)
	all = append(all, joined{c, leave, own})
	e.log(own).InfoContext(ctx, "bunch syncs", "seats", len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, j := range all {
		wg.Go(func() {
			defer j.leave()
			errs[i] = e.attempt(j.ctx, j.m, 0)
		})
	}
	wg.Wait()
	for i, j := range all[:len(all)-1] {
		if err := errs[i]; err != nil {
			e.log(j.m).WarnContext(ctx, "seated sync failed; its own message comes back", "err", err)
		}
	}
	return errs[len(errs)-1]
}

// nextTurn is the first turn of a company's bunches at least bunchLead
// from now; turns fall on multiples of bunchSpacing, so every function
// tells the same turn without reading it.
func nextTurn(now time.Time) time.Time {
	step := bunchSpacing.Milliseconds()
	return time.UnixMilli((now.Add(bunchLead).UnixMilli()/step + 1) * step)
}

// admitByNextTurn bounds the sync's wait for a single request by the turn
// it would be seated in if turned away. A bunch's seats sync at their
// turn, so the seat is the faster way out from then on.
func (e *Engine) admitByNextTurn(ctx context.Context) context.Context {
	if !e.mayBunch(ctx) {
		return ctx
	}
	return throttle.AdmitBy(ctx, nextTurn)
}

// mayBunch reports whether ctx's sync may open or carry a bunch: bunches
// are kept, and it is not already one's seat or carrier.
func (e *Engine) mayBunch(ctx context.Context) bool {
	return e.cfg.Bunches != nil && e.cfg.BunchRound != nil && !seatedInBunch(ctx) && ctx.Value(carryingKey{}) == nil
}

func sleepUntil(ctx context.Context, at, now time.Time) error {
	if !at.After(now) {
		return nil
	}
	t := time.NewTimer(at.Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// syncedAlready reports whether m is a seated sync's own message coming
// back after its bunch synced the entity. Only the version m was seated
// at counts: a bunch syncs its seats outside their message group, so an
// older seat's write may have reached QuickBooks after the newer
// version's sync was recorded, and the newer status says nothing of it.
func syncedAlready(m change.Message, st record.EntityState) bool {
	return m.Seated != 0 && m.Version == st.Version && st.Status == record.StatusSynced && st.StatusVersion == st.Version
}
