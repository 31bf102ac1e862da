package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/store"
)

// Outbound is the tenant's endpoint for events to billing and their
// delivery log (outbound.Store).
type Outbound interface {
	Endpoint(ctx context.Context, tenant string) (outbound.Endpoint, error)
	SetEndpoint(ctx context.Context, tenant, url string) (outbound.Endpoint, *outbound.NewSecret, error)
	AddSecret(ctx context.Context, tenant string) (outbound.NewSecret, error)
	RetireSecret(ctx context.Context, tenant, id string) error
	Deliveries(ctx context.Context, tenant, status string, limit int, cursor string) ([]outbound.Delivery, string, error)
	Delivery(ctx context.Context, tenant, id string) (outbound.Delivery, error)
	Redeliver(ctx context.Context, tenant, id string) error
}

type secretView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

type newSecretView struct {
	secretView
	// Value is shown once, when the secret is made.
	Value string `json:"value"`
}

type endpointView struct {
	URL       string       `json:"url"`
	Secrets   []secretView `json:"secrets"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Secret is the signing secret made with the endpoint, shown once.
	Secret *newSecretView `json:"secret,omitempty"`
}

func viewEndpoint(e outbound.Endpoint) endpointView {
	v := endpointView{URL: e.URL, UpdatedAt: e.UpdatedAt, Secrets: []secretView{}}
	for _, s := range e.Secrets {
		v.Secrets = append(v.Secrets, secretView{ID: s.ID, CreatedAt: s.CreatedAt})
	}
	return v
}

func viewNewSecret(s outbound.NewSecret) *newSecretView {
	return &newSecretView{secretView: secretView{ID: s.ID, CreatedAt: s.CreatedAt}, Value: s.Value}
}

// outboundReady answers 503 where the function records no events.
func (h *Handler) outboundReady(c *call) bool {
	if h.cfg.Outbound == nil {
		writeError(c.w, http.StatusServiceUnavailable, "unavailable", "events to billing are not configured")
		return false
	}
	return true
}

func (h *Handler) outboundFailed(c *call, err error) {
	switch {
	case errors.Is(err, outbound.ErrNoEndpoint):
		writeError(c.w, http.StatusNotFound, "no_endpoint", "no endpoint for events to billing is set")
	case errors.Is(err, outbound.ErrNotFound):
		writeError(c.w, http.StatusNotFound, "not_found", "no such event")
	case errors.Is(err, outbound.ErrNoSecret):
		writeError(c.w, http.StatusNotFound, "not_found", "no such signing secret")
	case errors.Is(err, outbound.ErrTooMany):
		writeError(c.w, http.StatusConflict, "too_many_secrets", err.Error())
	case errors.Is(err, outbound.ErrLastSecret):
		writeError(c.w, http.StatusConflict, "last_secret", err.Error())
	case errors.Is(err, outbound.ErrConflict):
		writeError(c.w, http.StatusConflict, "conflict", "the endpoint changed meanwhile; reload and try again")
	case errors.Is(err, outbound.ErrBadCursor):
		writeError(c.w, http.StatusBadRequest, "bad_cursor", "the cursor does not belong to this list")
	default:
		c.fail(h.cfg.Log, err)
	}
}

func (h *Handler) outboundEndpoint(c *call) {
	if !h.outboundReady(c) {
		return
	}
	e, err := h.cfg.Outbound.Endpoint(c.ctx(), c.tenant)
	if err != nil {
		h.outboundFailed(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, viewEndpoint(e))
}

// setOutboundEndpoint points the tenant's events at a URL; the first time
// it also makes the signing secret, shown in this answer only.
func (h *Handler) setOutboundEndpoint(c *call) {
	if !h.outboundReady(c) {
		return
	}
	var b struct {
		URL string `json:"url"`
	}
	if !c.decode(&b) {
		return
	}
	if err := outbound.CheckURL(b.URL); err != nil {
		writeJSON(c.w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: err.Error(),
			Problems: []Problem{{Field: "url", Message: err.Error()}}})
		return
	}
	e, made, err := h.cfg.Outbound.SetEndpoint(c.ctx(), c.tenant, b.URL)
	if err != nil {
		h.outboundFailed(c, err)
		return
	}
	if !h.audited(c, store.AuditEntry{Action: "set_outbound_endpoint", Detail: b.URL}) {
		return
	}
	v := viewEndpoint(e)
	if made != nil {
		v.Secret = viewNewSecret(*made)
	}
	writeJSON(c.w, http.StatusOK, v)
}

// addOutboundSecret starts a rotation: deliveries are signed with both
// secrets until the old one is retired.
func (h *Handler) addOutboundSecret(c *call) {
	if !h.outboundReady(c) {
		return
	}
	s, err := h.cfg.Outbound.AddSecret(c.ctx(), c.tenant)
	if err != nil {
		h.outboundFailed(c, err)
		return
	}
	if !h.audited(c, store.AuditEntry{Action: "add_outbound_secret", ID: s.ID}) {
		return
	}
	writeJSON(c.w, http.StatusCreated, viewNewSecret(s))
}

func (h *Handler) retireOutboundSecret(c *call) {
	if !h.outboundReady(c) {
		return
	}
	id := c.r.PathValue("id")
	if err := h.cfg.Outbound.RetireSecret(c.ctx(), c.tenant, id); err != nil {
		h.outboundFailed(c, err)
		return
	}
	if !h.audited(c, store.AuditEntry{Action: "retire_outbound_secret", ID: id}) {
		return
	}
	h.outboundEndpoint(c)
}

type deliveryView struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	OccurredAt time.Time         `json:"occurred_at"`
	RecordedAt time.Time         `json:"recorded_at"`
	Status     string            `json:"status"`
	Attempts   int               `json:"attempts"`
	NextAt     *time.Time        `json:"next_attempt_at,omitempty"`
	LastAnswer *outbound.Answer  `json:"last_answer,omitempty"`
	Answers    []outbound.Answer `json:"answers"`
	Data       any               `json:"data"`
}

func viewDelivery(d outbound.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, Type: d.Type, OccurredAt: d.OccurredAt, RecordedAt: d.RecordedAt, Status: d.Status,
		Attempts: d.Attempts, LastAnswer: d.Last(), Answers: d.Answers, Data: d.Data}
	if v.Answers == nil {
		v.Answers = []outbound.Answer{}
	}
	if d.Status == outbound.StatusPending && !d.NextAt.IsZero() {
		next := d.NextAt.UTC()
		v.NextAt = &next
	}
	return v
}

var deliveryStatuses = map[string]bool{"": true, outbound.StatusPending: true, outbound.StatusDelivered: true, outbound.StatusFailed: true}

func (h *Handler) deliveries(c *call) {
	if !h.outboundReady(c) {
		return
	}
	q := c.r.URL.Query()
	status := q.Get("status")
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 50, nil
	}
	if !deliveryStatuses[status] || err != nil || limit < 1 || limit > 200 {
		writeJSON(c.w, http.StatusBadRequest, apiError{Error: "invalid_query", Message: "status is pending, delivered or failed; limit 1 to 200",
			Problems: []Problem{{Field: "status", Message: "pending, delivered or failed"}, {Field: "limit", Message: "1 to 200"}}})
		return
	}
	page, next, err := h.cfg.Outbound.Deliveries(c.ctx(), c.tenant, status, limit, q.Get("cursor"))
	if err != nil {
		h.outboundFailed(c, err)
		return
	}
	out := make([]deliveryView, 0, len(page))
	for _, d := range page {
		out = append(out, viewDelivery(d))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"deliveries": out, "next_cursor": next})
}

// redeliver sends an event again now (the receiver lost it, or every
// attempt failed and the endpoint is fixed); audited.
func (h *Handler) redeliver(c *call) {
	if !h.outboundReady(c) {
		return
	}
	id := c.r.PathValue("id")
	if err := h.cfg.Outbound.Redeliver(c.ctx(), c.tenant, id); err != nil {
		h.outboundFailed(c, err)
		return
	}
	if !h.audited(c, store.AuditEntry{Action: "redeliver_event", ID: id}) {
		return
	}
	d, err := h.cfg.Outbound.Delivery(c.ctx(), c.tenant, id)
	if err != nil {
		h.outboundFailed(c, err)
		return
	}
	writeJSON(c.w, http.StatusAccepted, viewDelivery(d))
}

// audited writes e as the caller's action; false once it answered the
// failure.
func (h *Handler) audited(c *call, e store.AuditEntry) bool {
	e.By = c.claims.Subject
	if err := h.cfg.Store.Audit(context.WithoutCancel(c.ctx()), c.tenant, e); err != nil {
		c.fail(h.cfg.Log, err)
		return false
	}
	return true
}
