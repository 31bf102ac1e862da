package syncer

import "github.com/qbosync/qbosync/internal/store"

// PermanentError is a failure no retry can fix, found before or after a
// QBO call (bad mapping, currency mismatch); it becomes a warning.
type PermanentError struct {
	Reason string
}

func (e *PermanentError) Error() string { return e.Reason }

// outcome is a finished sync attempt.
type outcome struct {
	update store.StatusUpdate
	qboID  string
}
