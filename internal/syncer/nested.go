package syncer

import (
	"context"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
)

// maxNested bounds how deep one run converges other entities at once. The
// engine nests one level only (a refund converges its payment, an invoice
// a payment QuickBooks' automation changed; neither of those payment runs
// converges anything), so the bound is a guard: a path added later that
// would nest deeper has its entity queued instead of recursing.
const maxNested = 1

// syncNow runs one attempt of entity ref at once, inside this run, as if
// its message had been delivered: the outcome is recorded on ref, and a
// failure is classified as Handle classifies it, so what waits is deferred
// and what QuickBooks refused is shown on ref, not on this run's entity.
// It is explicit, not a call of Handle, so the public entry point is never
// re-entered and the nesting is bounded.
//
// Only a failure of our own infrastructure comes back (Handle would have
// the queue deliver ref again, but ref has no message of its own): it is
// returned as a nestedError, which fails this run to be redelivered, and
// that redelivery converges ref again.
func (r *run) syncNow(ctx context.Context, ref billing.Ref, customerID, reason string) error {
	m := change.Message{Tenant: r.st.Tenant, Kind: ref.Kind, ID: ref.ID, CustomerID: customerID, Reason: reason}
	if r.depth >= maxNested {
		r.e.cfg.Log.WarnContext(ctx, "nested sync queued instead of run at once", "tenant", r.st.Tenant,
			"kind", ref.Kind, "id", ref.ID, "depth", r.depth)
		if err := r.e.cfg.Queue.Publish(ctx, m); err != nil {
			return &nestedError{ref: ref, err: err}
		}
		return nil
	}
	// ref holds no seat of the bunch this run may be in: its waits are
	// deferred as its own.
	ctx = context.WithValue(ctx, seatedKey{}, false)
	if err := r.e.attempt(ctx, m, r.depth+1); err != nil {
		return &nestedError{ref: ref, err: err}
	}
	return nil
}

// nestedError is a nested sync that failed in our own infrastructure. It
// does not unwrap: the cause was classified for ref already, and whatever
// QuickBooks fault it carries must not be read again as the outer
// entity's (classify requeues it).
type nestedError struct {
	ref billing.Ref
	err error
}

func (e *nestedError) Error() string {
	return fmt.Sprintf("converge %s at once: %v", e.ref, e.err)
}
