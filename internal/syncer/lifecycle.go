package syncer

import (
	"context"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// findMarked returns the object stmt finds whose note (as note reads it)
// carries want's marker: the natural-key lookup after a lost create.
func findMarked[T qbo.Entity](ctx context.Context, r *run, stmt string, want mark, note func(T) string) (T, bool, error) {
	found, err := qbo.QueryAll[T](ctx, r.qbo, r.conn.RealmID, stmt)
	var zero T
	if err != nil {
		return zero, false, err
	}
	for _, f := range found {
		if carries(note(f), want) {
			return f, true, nil
		}
	}
	return zero, false, nil
}

// voidLinked voids the QBO transaction linked under key, once. A document
// voided before it reached QBO needs nothing there. Journal entries cannot
// be voided in QBO; they are deleted.
func voidLinked[T qbo.Entity](ctx context.Context, r *run, key billing.Ref, find func(context.Context) (T, bool, error)) (record.Link, error) {
	return voidReleased(ctx, r, key, find, nil)
}

// release reads document qboID, takes back what QuickBooks' automation
// applied to it, and returns the SyncToken it read.
type release func(ctx context.Context, qboID string) (syncToken string, err error)

// voidReleased is voidLinked for a document QuickBooks' automation may
// have applied credit to: rel runs before the void, and the void is sent
// at the SyncToken rel read. A void refused as stale runs rel again, not
// a bare read: what moved the document on may be a new application (a
// new invoice took the credit memo), and a void at a token read but not
// released would empty that payment and leave it linked from nothing.
func voidReleased[T qbo.Entity](ctx context.Context, r *run, key billing.Ref, find func(context.Context) (T, bool, error), rel release) (record.Link, error) {
	link, err := r.linkOf(ctx, key)
	if err == nil && !link.Linked() && link.State == record.LinkCreating && link.RequestID != "" {
		link, err = latchLostCreate(ctx, r, link, find)
		if err == nil && !link.Linked() {
			// The create may still be on its way to QuickBooks: saving its
			// intent makes that sync's link write lose, so it tries again,
			// finds the object it made and voids it.
			link, err = r.putLink(ctx, link)
		}
	}
	if err != nil || !link.Linked() || link.Voided {
		return link, err
	}
	reqID := requestID(r.st.Tenant, string(key.Kind), key.ID, fmt.Sprint(r.st.Version), "void", fmt.Sprint(link.Rev))
	token := link.SyncToken
	if rel != nil {
		if token, err = rel(ctx, link.QBOID); err != nil {
			return link, err
		}
	} else {
		rel = readToken[T](r)
	}
	var voided T
	for attempt := 0; ; attempt++ {
		var target T
		if target, err = qbo.WithIdentity(target, link.QBOID, token, true); err != nil {
			return link, err
		}
		voided, err = voidOrDelete(ctx, r, target, reqID+strings.Repeat("r", attempt))
		if !qbo.IsStale(err) || attempt >= staleRetries {
			break
		}
		if token, err = rel(ctx, link.QBOID); err != nil {
			return link, err
		}
	}
	if qbo.IsValidation(err) && alreadyVoided[T](ctx, r, link.QBOID) {
		// An earlier void committed but its answer was lost.
		err = nil
	}
	if err != nil {
		if serr := saveAfterRefusal(ctx, r, link, err); serr != nil {
			return link, serr
		}
		return link, err
	}
	_, link.SyncToken = voided.Identity()
	link.Voided, link.SyncedVersion, link.SentHash = true, r.st.Version, ""
	return r.putLink(ctx, link)
}

// readToken is the release of a document nothing is applied to on its
// own: a read of its SyncToken.
func readToken[T qbo.Entity](r *run) release {
	return func(ctx context.Context, id string) (string, error) {
		cur, err := qbo.Read[T](ctx, r.qbo, r.conn.RealmID, id)
		_, token := cur.Identity()
		return token, err
	}
}

// alreadyVoided reports whether QBO already shows the object voided
// (voiding zeroes a transaction's total) or deleted.
func alreadyVoided[T qbo.Entity](ctx context.Context, r *run, id string) bool {
	cur, err := qbo.Read[T](ctx, r.qbo, r.conn.RealmID, id)
	if qbo.IsValidation(err) {
		return true // gone: deleted earlier
	}
	if err != nil {
		return false
	}
	t, ok := any(cur).(qbo.Totaled)
	if !ok {
		return false // no total to read: only QBO's refusal speaks
	}
	return isZero(t.Total())
}

// latchLostCreate links an intent whose create may have committed in QBO
// with its answer lost: the object, found by its natural key, must be
// voided too, or it would outlive billing's void.
func latchLostCreate[T qbo.Entity](ctx context.Context, r *run, link record.Link, find func(context.Context) (T, bool, error)) (record.Link, error) {
	found, ok, err := find(ctx)
	if err != nil {
		return link, fmt.Errorf("look for an earlier create: %w", err)
	}
	if !ok {
		return link, nil
	}
	link.State, link.SentHash = record.LinkLinked, ""
	link.QBOID, link.SyncToken = found.Identity()
	return r.putLink(ctx, link)
}

func voidOrDelete[T qbo.Entity](ctx context.Context, r *run, v T, reqID string) (T, error) {
	if v.EntityName() != "JournalEntry" {
		return qbo.Void(ctx, r.qbo, r.conn.RealmID, v, reqID)
	}
	return v, qbo.Delete(ctx, r.qbo, r.conn.RealmID, v, reqID)
}
