package syncer

import (
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// PermanentError is a failure no retry can fix, found before or after a
// QBO call (bad mapping, currency mismatch); it becomes a warning.
type PermanentError struct {
	Reason string
}

func (e *PermanentError) Error() string { return e.Reason }

// outcome is a finished sync attempt.
type outcome struct {
	update record.StatusUpdate
	qboID  string
	// link is the entity's own link as the run last saw it (zero if it
	// never read or wrote it), for the wake-up of a synced entity.
	link record.Link
}

// waitError: the entity must wait for on (already recorded as its
// dependent) for a reason beyond on not being linked.
type waitError struct {
	on billing.Ref
}

func (e *waitError) Error() string { return "waiting on " + e.on.String() }
