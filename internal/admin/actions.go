package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// send queues e again. The nonce makes the message new to SQS, whose
// deduplication would otherwise swallow a resend of the same version.
func (h *Handler) send(ctx context.Context, tenant string, e store.EntityState) error {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce) // crypto/rand.Read cannot fail
	m := queue.Message{Tenant: tenant, Kind: e.Kind, ID: e.ID, CustomerID: e.CustomerID, Version: e.Version,
		Reason: "resend", Nonce: "resend:" + hex.EncodeToString(nonce)}
	return h.cfg.Queue.Publish(ctx, m)
}

// requeue marks one entity not_tried and queues it.
func (h *Handler) requeue(ctx context.Context, c *call, kind billing.Kind, id, action string, audit bool) (store.EntityState, error) {
	st, err := h.cfg.Store.Requeue(ctx, c.tenant, kind, id, c.claims.Subject, action, audit)
	if err != nil {
		return st, err
	}
	// Not sent means not lost: the entity is not_tried, and the hourly
	// scheduler sends those.
	return st, h.send(ctx, c.tenant, st)
}

func (h *Handler) resendOne(c *call) {
	kind, id, ok := c.entityRef()
	if !ok {
		return
	}
	if _, err := h.requeue(c.ctx(), c, kind, id, "resend", true); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	apijson.WriteJSON(c.w, http.StatusAccepted, map[string]any{"status": store.StatusNotTried, "kind": kind, "id": id})
}

type reasonBody struct {
	Reason string `json:"reason"`
}

// maxReason bounds a dismissal's reason.
const maxReason = 500

// reasoned reads the entity of the path and the admin's reason from the
// body, answering 400 when the reason is missing or too long; why is what
// the reason must say, for the message.
func (c *call) reasoned(why string) (kind billing.Kind, id string, d store.Dismissal, ok bool) {
	if kind, id, ok = c.entityRef(); !ok {
		return
	}
	var b reasonBody
	if ok = c.decode(&b); !ok {
		return
	}
	b.Reason = strings.TrimSpace(b.Reason)
	if b.Reason == "" || len(b.Reason) > maxReason {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "invalid_reason",
			Message:  "say " + why + " (1 to 500 characters)",
			Problems: []apijson.Problem{{Field: "reason", Message: "a reason of 1 to 500 characters is required"}}})
		return kind, id, d, false
	}
	return kind, id, store.Dismissal{By: c.claims.Subject, Reason: b.Reason}, true
}

func (h *Handler) dismiss(c *call) {
	kind, id, d, ok := c.reasoned("why the warning is dismissed")
	if !ok {
		return
	}
	err := h.cfg.Store.Dismiss(c.ctx(), c.tenant, kind, id, d)
	h.afterTransition(c, err, "only an entity with a warning can be dismissed", store.StatusDismissed)
}

func (h *Handler) undismiss(c *call) {
	kind, id, ok := c.entityRef()
	if !ok {
		return
	}
	var b reasonBody
	if !c.decode(&b) {
		return
	}
	if len(b.Reason) > maxReason {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "invalid_reason",
			Message: "the reason is limited to 500 characters"})
		return
	}
	err := h.cfg.Store.Undismiss(c.ctx(), c.tenant, kind, id, c.claims.Subject, strings.TrimSpace(b.Reason))
	h.afterTransition(c, err, "only a dismissed entity can be restored", store.StatusWarning)
}

func (h *Handler) afterTransition(c *call, err error, wrong string, now store.Status) {
	switch {
	case errors.Is(err, store.ErrWrongStatus):
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "wrong_status", Message: wrong})
	case err != nil:
		c.fail(h.cfg.Log, err)
	default:
		apijson.WriteJSON(c.w, http.StatusOK, map[string]any{"status": now})
	}
}

// bulkRequest selects entities to send again.
type bulkRequest struct {
	Status store.Status `json:"status,omitempty"`
	Kind   billing.Kind `json:"kind,omitempty"`
	Code   string       `json:"code,omitempty"`
	Since  string       `json:"since,omitempty"`
	Cursor string       `json:"cursor,omitempty"`
	Limit  int          `json:"limit,omitempty"`
}

// bulkResult is one call's progress. A bulk resend runs in calls of at
// most Limit entities (and a few seconds), each answering with the cursor
// to continue from, so no request outlives API Gateway's 30 s and a page
// or script shows progress between calls.
type bulkResult struct {
	Examined int    `json:"examined"`
	Resent   int    `json:"resent"`
	Done     bool   `json:"done"`
	Cursor   string `json:"cursor,omitempty"`
	// Estimate is how many entities the whole run examines, from the
	// counters when it started.
	Estimate int64 `json:"estimate"`
}

const (
	defaultBulk = 200
	maxBulk     = 500
	bulkBudget  = 8 * time.Second
)

// step is one (status, kind) partition a bulk run walks.
type step struct {
	status store.Status
	kind   billing.Kind
	match  func(store.EntityRecord) bool
}

func (h *Handler) resendAll(c *call) {
	var b bulkRequest
	if !c.decode(&b) {
		return
	}
	if b.Status == "" {
		b.Status = store.StatusWarning
	}
	var problems []apijson.Problem
	if !validStatus(b.Status) {
		problems = append(problems, apijson.Problem{Field: "status", Message: "status must be one of " + statusList()})
	}
	if b.Kind != "" && !b.Kind.Valid() {
		problems = append(problems, apijson.Problem{Field: "kind", Message: fmt.Sprintf("unknown kind %q", b.Kind)})
	}
	var since time.Time
	if b.Since != "" {
		t, err := parseSince(b.Since)
		if err != nil {
			problems = append(problems, apijson.Problem{Field: "since", Message: "since must be a date (YYYY-MM-DD) or an RFC 3339 time"})
		}
		since = t
	}
	if len(b.Code) > 20 {
		problems = append(problems, apijson.Problem{Field: "code", Message: "code is a QuickBooks error code such as 6140"})
	}
	if len(problems) > 0 {
		apijson.WriteError(c.w, apijson.Invalid(problems...))
		return
	}
	match := func(r store.EntityRecord) bool {
		return b.Code == "" || r.Warning != nil && r.Warning.Code == b.Code
	}
	var steps []step
	for _, k := range billing.Kinds {
		if b.Kind == "" || b.Kind == k {
			steps = append(steps, step{status: b.Status, kind: k, match: match})
		}
	}
	h.bulk(c, steps, since, b, "resend_all", fmt.Sprintf("status %s, kind %s, code %s, since %s", b.Status, orAll(string(b.Kind)), orAll(b.Code), orAll(b.Since)))
}

func orAll(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// syncNow sends every not_tried entity and every retryable warning now,
// without waiting for the hourly scheduler's back-off.
func (h *Handler) syncNow(c *call) {
	var b bulkRequest
	if !c.decode(&b) {
		return
	}
	var steps []step
	for _, st := range []store.Status{store.StatusNotTried, store.StatusWarning} {
		for _, k := range billing.Kinds {
			steps = append(steps, step{status: st, kind: k, match: func(r store.EntityRecord) bool {
				return r.Status == store.StatusNotTried || r.Warning != nil && r.Warning.Retryable
			}})
		}
	}
	h.bulk(c, steps, time.Time{}, b, "sync_now", "not tried and retryable warnings")
}

// bulkCursor is where a bulk run continues: the step and the store's cursor.
type bulkCursor struct {
	Step   int    `json:"s"`
	Cursor string `json:"c,omitempty"`
}

func (h *Handler) bulk(c *call, steps []step, since time.Time, b bulkRequest, action, detail string) {
	limit := b.Limit
	if limit <= 0 || limit > maxBulk {
		limit = defaultBulk
	}
	pos := bulkCursor{}
	if b.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(b.Cursor)
		if err != nil || json.Unmarshal(raw, &pos) != nil || pos.Step < 0 || pos.Step > len(steps) {
			apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "bad_cursor",
				Message: "the cursor does not belong to this request"})
			return
		}
	}
	ctx := c.ctx()
	res := bulkResult{}
	if counts, err := h.cfg.Store.Counts(ctx, c.tenant); err == nil {
		for _, s := range steps {
			res.Estimate += counts[s.kind][s.status]
		}
	}
	deadline := h.cfg.Now().Add(bulkBudget)
	for pos.Step < len(steps) && res.Examined < limit && h.cfg.Now().Before(deadline) {
		s := steps[pos.Step]
		page, next, err := h.cfg.Store.ListEntities(ctx, c.tenant, store.ListQuery{Status: s.status, Kind: s.kind,
			Since: since, Limit: limit - res.Examined, Cursor: pos.Cursor})
		if err != nil {
			c.fail(h.cfg.Log, err)
			return
		}
		for _, r := range page {
			res.Examined++
			if !s.match(r) {
				continue
			}
			if _, err := h.requeue(ctx, c, r.Kind, r.ID, action, false); err != nil && !errors.Is(err, store.ErrNotFound) {
				c.fail(h.cfg.Log, err)
				return
			}
			res.Resent++
		}
		pos.Cursor = next
		if next == "" {
			pos.Step++
		}
	}
	res.Done = pos.Step >= len(steps)
	if !res.Done {
		raw, _ := json.Marshal(pos)
		res.Cursor = base64.RawURLEncoding.EncodeToString(raw)
	}
	if res.Resent > 0 {
		err := h.cfg.Store.Audit(ctx, c.tenant, store.AuditEntry{By: c.claims.Subject, Action: action, Detail: detail, Count: res.Resent})
		if err != nil {
			c.fail(h.cfg.Log, err)
			return
		}
	}
	apijson.WriteJSON(c.w, http.StatusOK, res)
}
