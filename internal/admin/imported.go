package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/qbosync/qbosync/internal/customerimport"
	"github.com/qbosync/qbosync/internal/store"
)

// Importer finds the QuickBooks customers no billing customer is linked
// to (customerimport.Importer).
type Importer interface {
	Import(ctx context.Context, tenant string) (customerimport.Result, error)
	List(ctx context.Context, tenant string, limit int, cursor string) ([]customerimport.Candidate, string, error)
	LastImport(ctx context.Context, tenant string) (customerimport.State, bool, error)
	Forget(ctx context.Context, tenant, qboID string) error
}

func (h *Handler) importReady(c *call) bool {
	if h.cfg.Importer == nil {
		writeError(c.w, http.StatusServiceUnavailable, "unavailable", "customer import is not configured")
		return false
	}
	return true
}

// importedCustomers lists, a page at a time, the QuickBooks customers the
// last import found unlinked; Connect customer (latch) links one.
func (h *Handler) importedCustomers(c *call) {
	if !h.importReady(c) {
		return
	}
	q := c.r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 50, nil
	}
	if err != nil || limit < 1 || limit > 200 {
		writeJSON(c.w, http.StatusBadRequest, apiError{Error: "invalid_query", Message: "limit is 1 to 200",
			Problems: []Problem{{Field: "limit", Message: "1 to 200"}}})
		return
	}
	page, next, err := h.cfg.Importer.List(c.ctx(), c.tenant, limit, q.Get("cursor"))
	if errors.Is(err, customerimport.ErrBadCursor) {
		writeError(c.w, http.StatusBadRequest, "bad_cursor", "the cursor does not belong to this list")
		return
	}
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	out := map[string]any{"customers": page, "next_cursor": next}
	last, ok, err := h.cfg.Importer.LastImport(c.ctx(), c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if ok {
		out["last_import"] = last
	}
	writeJSON(c.w, http.StatusOK, out)
}

// importCustomers reads the company's customers now; audited.
func (h *Handler) importCustomers(c *call) {
	if !h.importReady(c) {
		return
	}
	res, err := h.cfg.Importer.Import(c.ctx(), c.tenant)
	if errors.Is(err, customerimport.ErrNotConnected) {
		writeError(c.w, http.StatusConflict, "not_connected", connectionProblem(err))
		return
	}
	if err != nil {
		h.qboFailed(c, err)
		return
	}
	if !h.audited(c, store.AuditEntry{Action: "import_quickbooks_customers", Count: res.Found}) {
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"read": res.Read, "unlinked": res.Unlinked, "found": res.Found,
		"imported_at": res.At.Format(time.RFC3339Nano)})
}
