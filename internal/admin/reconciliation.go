package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/reconcile"
	"github.com/qbosync/qbosync/internal/store"
)

// Reconciler runs a tenant's reconciliation now (package reconcile).
type Reconciler interface {
	Run(ctx context.Context, tenant string) (store.Reconciliation, error)
}

func (h *Handler) reconciliation(c *call) {
	r, err := h.cfg.Store.Reconciliation(c.ctx(), c.tenant)
	if errors.Is(err, store.ErrNotFound) {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusNotFound, Code: "not_reconciled",
			Message: "no reconciliation has run for this tenant yet; POST to run one"})
		return
	}
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	apijson.WriteJSON(c.w, http.StatusOK, r)
}

// reconcileNow runs the reconciliation within the request: after the first
// run it costs one CDC request, and its reads wait their turn in the
// company's schedule like every other call.
func (h *Handler) reconcileNow(c *call) {
	if h.cfg.Reconciler == nil {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "reconciliation is not configured"})
		return
	}
	r, err := h.cfg.Reconciler.Run(c.ctx(), c.tenant)
	switch {
	case errors.Is(err, reconcile.ErrBusy):
		c.w.Header().Set("Retry-After", "60")
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "sync_in_progress",
			Message: "entities are still queued for sync; reconciliation runs once they are sent"})
	case errors.Is(err, reconcile.ErrNotConnected):
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "not_connected",
			Message: "connect QuickBooks before reconciling"})
	case err != nil:
		h.cfg.Log.WarnContext(c.ctx(), "reconciliation failed", "tenant", c.tenant, "err", err)
		h.qboFailed(c, err)
	default:
		apijson.WriteJSON(c.w, http.StatusAccepted, r)
	}
}

// pushAgain writes billing's version of a drifted entity over QuickBooks'
// changes: the link forgets the hash of what was sent, so the sync writes
// the payload again; an object voided or deleted in QuickBooks is created
// anew.
func (h *Handler) pushAgain(c *call) {
	kind, id, ok := c.entityRef()
	if !ok {
		return
	}
	e, err := h.cfg.Store.EntityRecord(c.ctx(), c.tenant, kind, id)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if e.Status != store.StatusDrifted {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "wrong_status",
			Message: "only a drifted entity can be pushed again"})
		return
	}
	l, err := h.cfg.Store.Link(c.ctx(), c.tenant, kind, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.fail(h.cfg.Log, err)
		return
	}
	if err == nil {
		l.SentHash = ""
		if e.Warning != nil && (strings.Contains(e.Warning.Message, "QuickBooks deleted") || strings.Contains(e.Warning.Message, "QuickBooks voided")) {
			l.State, l.QBOID, l.SyncToken, l.RequestID = "", "", "", ""
		}
		if _, err := h.cfg.Store.PutLink(c.ctx(), l); err != nil {
			c.fail(h.cfg.Log, err)
			return
		}
	}
	if _, err := h.requeue(c.ctx(), c, kind, id, "push_again", true); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	apijson.WriteJSON(c.w, http.StatusAccepted, map[string]any{"status": store.StatusNotTried, "kind": kind, "id": id})
}

// acceptQuickBooks keeps QuickBooks' version of a drifted entity: it is
// dismissed with the admin's reason, in the audit log.
func (h *Handler) acceptQuickBooks(c *call) {
	kind, id, d, ok := c.reasoned("why QuickBooks' version stands")
	if !ok {
		return
	}
	err := h.cfg.Store.AcceptDrift(c.ctx(), c.tenant, kind, id, d)
	h.afterTransition(c, err, "only a drifted entity can accept QuickBooks' version", store.StatusDismissed)
}
