package syncer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/throttle"
)

// action is what becomes of a sync attempt that failed.
type action int

const (
	// requeue: the failure is in our own infrastructure (DynamoDB, SQS);
	// the message goes back to its queue and SQS retries it.
	requeue action = iota
	// wait: the cause clears by itself (budget, a 429's rest, QuickBooks
	// unavailable, a concurrent change); the message is parked in the
	// defer queue and resumed when it is due.
	wait
	// warn: QuickBooks refused the entity or it cannot be mapped; it
	// shows the reason until an admin fixes it and resends.
	warn
	// park: the tenant has no working QuickBooks connection; the entity
	// shows why and is queued again when an admin connects.
	park
)

func (a action) String() string {
	return [...]string{"requeue", "wait", "warn", "park"}[a]
}

// deadLetterAfter is the receives after which SQS moves a message that
// keeps failing to its kind's dead-letter queue (maxReceiveCount of every
// queue in template.yaml, checked by a test). Only requeue spends one:
// Handle returns nil for the other actions and the message is deleted; a
// wait comes back through the defer queue as a new message, with no
// receive spent, so throttling and outages never dead-letter anything.
//
// The queue consumer (queue.FIFOHandler) adds three rules of its own and
// no other: a requeued message's later messages of the same group in the
// batch go back unhandled with it (they keep their order, and spend a
// receive); messages not started within 5 s of the function's deadline
// go back unhandled (they spend a receive); a body that is no message is
// dropped, logged as an error, since no delivery could sync it.
const deadLetterAfter = 5

// spendsReceive reports whether a failure with action a costs its message
// one of its deadLetterAfter receives.
func (a action) spendsReceive() bool { return a == requeue }

// decision is the classification of one failure.
type decision struct {
	action action
	// until is when a waiting sync is resumed.
	until time.Time
	// rest: QuickBooks throttled the company with a status other than
	// 429 (which the transport already recorded): rest it.
	rest bool
	// warning is shown on the entity; for a wait it says that the sync is
	// retried automatically.
	warning *record.Warning
	// scheduled: the wait is the company's budget or rest, not a failure;
	// it does not count as an attempt.
	scheduled bool
	// bunch: the company's request schedule turned the sync away; it may
	// come back in a bunch, on the batch schedule (bunch.go).
	bunch bool
}

// Back-off of transient failures: attempt n waits backoffBase·2ⁿ⁻¹, at
// most backoffMax; from showAfter attempts on the entity shows why.
const (
	backoffBase = 2 * time.Second
	backoffMax  = 5 * time.Minute
	showAfter   = 3
	// conflictPause: another worker wrote the entity's link meanwhile;
	// its result is read on the next try.
	conflictPause = time.Second
	// concurrentMax bounds the wait for a concurrent change (a SyncToken
	// race, a balance another entity's sync frees): it clears in seconds,
	// so the sync keeps looking that often rather than backing off to
	// QuickBooks-outage lengths.
	concurrentMax = 30 * time.Second
	// unexplainedTries is how many attempts a refusal the balances do not
	// explain is tried before it is shown as final.
	unexplainedTries = 5
)

// spread is a random extra wait for a sync the company's schedule turned
// away the n-th time: up to 2ⁿ seconds, at most 30.
func spread(n int) time.Duration {
	window := time.Duration(min(1<<min(n, 5), 30)) * time.Second
	return rand.N(window)
}

// backoff is the wait before attempt n (1-based) is retried.
func backoff(n int) time.Duration {
	d := backoffBase
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// classify decides what becomes of a sync that failed with err on its
// attempt-th try (1-based). It is the one place that maps QuickBooks
// faults (by their qbo.Class), throttling, the connection's state and our
// own errors to retry, wait, warn or park; the table in docs/mapping.md is
// checked against it. remedyFor and refusedOrUnsent, below, are the
// decisions taken inside an attempt.
func classify(err error, attempt int, now time.Time, rest time.Duration) decision {
	var te *throttle.Error
	var pe *PermanentError
	var ue *unavailableError
	var oe *overAppliedError
	var une *unexplainedError
	switch {
	case errors.Is(err, record.ErrNotConnected):
		return decision{action: park, warning: &record.Warning{Retryable: true,
			Message: "QuickBooks is not connected. Connect a QuickBooks company; queued entities sync then."}}
	case errors.Is(err, record.ErrReconnect):
		return decision{action: park, warning: &record.Warning{Retryable: true,
			Message: "QuickBooks needs to be reconnected (Intuit refused the saved authorization). Reconnect; queued entities sync then."}}
	case errors.As(err, &te):
		// Scheduling, not failure: the company's budget or rest decides.
		return decision{action: wait, until: te.Until, scheduled: true, bunch: !te.Resting}
	case errors.As(err, &pe):
		return decision{action: warn, warning: &record.Warning{Message: pe.Reason}}
	case errors.As(err, &oe):
		// Another change frees the balance soon: wait as for a SyncToken race.
		return concurrent(oe.fault, attempt, now)
	case errors.As(err, &une):
		// Another sync of the customer's documents may have held and freed
		// the balance between the write and the read, on every try of an
		// attempt; a refusal that outlasts unexplainedTries attempts is
		// QuickBooks' rule, not a race.
		if attempt < unexplainedTries {
			return concurrent(une.fault, attempt, now)
		}
		return decision{action: warn, warning: faultWarning(une.fault, false)}
	case errors.As(err, &ue):
		return transient(attempt, now, ue.Error(), nil)
	case errors.Is(err, record.ErrConflict):
		return decision{action: wait, until: now.Add(conflictPause)}
	}
	var qe *qbo.Error
	if !errors.As(err, &qe) {
		return decision{action: requeue}
	}
	switch qe.Class() {
	case qbo.ClassThrottled:
		return decision{action: wait, until: now.Add(rest), rest: qe.Status != http.StatusTooManyRequests, scheduled: true}
	case qbo.ClassStale:
		return concurrent(qe, attempt, now)
	case qbo.ClassUnavailable, qbo.ClassAuth:
		return transient(attempt, now, fmt.Sprintf("QuickBooks did not complete the request (%s)", qe.Error()), faultWarning(qe, true))
	case qbo.ClassOther:
		switch {
		case errors.Is(qe, context.Canceled):
			// The invocation was cut short with the request in flight:
			// it may have run. The queue delivers again, and a create's
			// intent is resolved by its lookup.
			return decision{action: requeue}
		case errors.Is(qe, qbo.ErrMalformedResponse):
			// QuickBooks answered, unreadably: the write may have run.
			return transient(attempt, now, fmt.Sprintf("QuickBooks' answer could not be read (%s)", qe.Error()), faultWarning(qe, true))
		}
	}
	return decision{action: warn, warning: faultWarning(qe, false)}
}

// concurrent waits for another change in flight on the same document (a
// SyncToken race, or billing freeing a balance through another entity
// that has not synced yet): soon, and visible meanwhile.
func concurrent(qe *qbo.Error, attempt int, now time.Time) decision {
	return decision{action: wait, until: now.Add(min(backoff(attempt), concurrentMax)), warning: faultWarning(qe, true)}
}

// remedy is what an attempt tries at once after a failed write, before
// the failure is classified.
type remedy int

const (
	noRemedy remedy = iota
	// refreshToken: QuickBooks refused the access token (expired or
	// revoked early); refresh it once and write again.
	refreshToken
	// releaseApplications: QuickBooks' automation may hold the balance
	// with an application of its own; undo those and write once more.
	releaseApplications
	// writeAgain: a refusal the balances no longer explain; write once
	// more as it is.
	writeAgain
)

func remedyFor(err error) remedy {
	var oe *overAppliedError
	var une *unexplainedError
	var qe *qbo.Error
	switch {
	case errors.As(err, &oe):
		return releaseApplications
	case errors.As(err, &une):
		return writeAgain
	case errors.As(err, &qe) && qe.Class() == qbo.ClassAuth:
		return refreshToken
	}
	return noRemedy
}

// refusedOrUnsent reports a create that certainly created nothing:
// QuickBooks answered with a refusal, the mapping refused it, or the
// company's schedule kept it from being sent. The next attempt may then
// use a new requestid and need not look the object up first. A resumed
// create's requestid went out before, and that send may have created the
// object: only QuickBooks' own refusal, its answer to the requestid
// (Intuit answers a repeated requestid as it answered the first), proves
// otherwise; the schedule or the mapping stopping this send says nothing
// of the earlier one.
func refusedOrUnsent(err error, resumed bool) bool {
	var qe *qbo.Error
	var pe *PermanentError
	var te *throttle.Error
	var oe *overAppliedError
	var une *unexplainedError
	switch {
	case errors.As(err, &oe) || errors.As(err, &une):
		return true
	case errors.As(err, &te) || errors.As(err, &pe):
		return !resumed
	case !errors.As(err, &qe):
		return false
	}
	switch qe.Class() {
	case qbo.ClassValidation, qbo.ClassStale:
		return true
	case qbo.ClassOther:
		// Only a request never built was never sent; a canceled or
		// unreadable one may have run.
		return !resumed && errors.Is(qe, qbo.ErrInvalidRequest)
	}
	return false
}

// transient waits out a failure that the same request may not meet again,
// showing it on the entity once it has lasted showAfter attempts.
func transient(attempt int, now time.Time, what string, w *record.Warning) decision {
	d := decision{action: wait, until: now.Add(backoff(attempt))}
	if attempt >= showAfter {
		if w == nil {
			w = &record.Warning{Retryable: true}
		}
		w.Message = fmt.Sprintf("%s; tried %d times, retried automatically at %s", strings.TrimSuffix(what, "."),
			attempt, d.until.UTC().Format("15:04:05 UTC"))
		d.warning = w
	}
	return d
}

// faultWarning is what the entity shows of QuickBooks' fault.
func faultWarning(qe *qbo.Error, retryable bool) *record.Warning {
	msg := qe.Message
	if msg == "" {
		msg = qe.Error() // no Fault: the failure itself is the reason
	}
	return &record.Warning{Code: qe.Code, Message: msg, Detail: qe.Detail, Element: qe.Element,
		IntuitTID: qe.IntuitTID, Retryable: retryable}
}

// unavailableError is a dependency outside QuickBooks' Accounting API that
// did not answer (Intuit's token endpoint): waited out like QuickBooks
// being unavailable.
type unavailableError struct {
	what string
	err  error
}

func (e *unavailableError) Error() string { return e.what + ": " + e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// failed acts on a classified failure of m's sync.
func (e *Engine) failed(ctx context.Context, st record.EntityState, m change.Message, realm string, err error) error {
	log := e.log(m)
	d := classify(err, m.Attempt+1, e.cfg.Now(), e.cfg.ThrottleBackoff)
	switch d.action {
	case park:
		return e.setStatus(ctx, st, record.StatusUpdate{Status: record.StatusNotTried, Warning: d.warning})
	case warn:
		log.WarnContext(ctx, "entity not synced", "code", d.warning.Code, "intuit_tid", d.warning.IntuitTID, "err", err)
		return e.setStatus(ctx, st, record.StatusUpdate{Status: record.StatusWarning, Warning: d.warning})
	case wait:
		if d.rest && realm != "" {
			if terr := e.cfg.Store.ThrottleRealm(ctx, realm, d.until); terr != nil {
				return terr
			}
		}
		if d.warning != nil {
			if serr := e.setStatus(ctx, st, record.StatusUpdate{Status: record.StatusNotTried, Warning: d.warning}); serr != nil {
				return serr
			}
		}
		if seatedInBunch(ctx) {
			log.InfoContext(ctx, "seated sync waits for its own message", "reason", err.Error())
			return nil
		}
		if d.bunch {
			if seated, err := e.seat(ctx, log, m, realm); seated || err != nil {
				return err
			}
		}
		until := d.until
		if d.scheduled {
			// Everything the company's budget turned away would come back
			// at the same instant: spread the returns, wider the more
			// often this sync was turned away.
			m.Waits++
			until = until.Add(spread(m.Waits))
		} else {
			m.Attempt++
		}
		log.InfoContext(ctx, "sync deferred", "until", until.UTC().Format(time.RFC3339), "attempt", m.Attempt,
			"waits", m.Waits, "reason", err.Error())
		if derr := e.cfg.Queue.Defer(ctx, m, until); derr != nil {
			return fmt.Errorf("sync %s/%s: %w (and could not defer: %v)", st.Kind, st.ID, err, derr)
		}
		return nil
	}
	log.WarnContext(ctx, "sync will be retried by the queue", "err", err)
	return fmt.Errorf("sync %s/%s: %w", st.Kind, st.ID, err)
}
