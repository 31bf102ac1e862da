// Package webhook is the billing webhook function's logic: it verifies,
// validates, stores and queues one event per request, and answers exactly
// as the public contract (docs/webhooks.md) says. A 2xx answer means the
// event is durable; anything the service could not store is a 503 so that
// the sender retries.
package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// MaxBody is the largest body accepted, after base64 decoding.
const MaxBody = 256 << 10

// DefaultEventTTL is how long accepted event ids are remembered for
// deduplication; senders retry for far less.
const DefaultEventTTL = 7 * 24 * time.Hour

// SecretSource returns a tenant's active webhook secrets (two during a
// rotation); store.ErrNotFound for an unknown tenant.
type SecretSource interface {
	WebhookSecrets(ctx context.Context, tenant string) ([][]byte, error)
}

// SnapshotStore keeps snapshots and the ids of accepted events.
type SnapshotStore interface {
	EventSeen(ctx context.Context, tenant, eventID string) (bool, error)
	// PutSnapshot returns store.ErrStale when a newer version is stored;
	// an equal version is accepted again.
	PutSnapshot(ctx context.Context, s store.Snapshot) error
	RecordEvent(ctx context.Context, tenant, eventID string, expires time.Time) error
}

// SettingsReader reads a tenant's settings: a billing payment is not
// synced while the tenant's payments come from QuickBooks, and the answer
// says so.
type SettingsReader interface {
	Tenant(ctx context.Context, id string) (store.Tenant, error)
}

// Publisher sends "entity changed" messages in the lane their message
// group holds; choose gives the lane of a group that holds none.
type Publisher interface {
	PublishChoosing(ctx context.Context, m queue.Message, choose func(context.Context) queue.Lane) (queue.Lane, error)
}

// LaneChooser tells a tenant's backfill from its live events; it decides
// the lane of a customer's group when the group holds none.
type LaneChooser interface {
	Choose(ctx context.Context, tenant string, occurred time.Time) queue.Lane
}

// Deps are the Handler's collaborators. Now, Log, EventTTL and Lanes are
// optional; without Lanes every event is live.
type Deps struct {
	Secrets SecretSource
	Store   SnapshotStore
	Queue   Publisher
	Lanes   LaneChooser
	// Tenants is optional: without it payments are answered as accepted
	// whatever the payments direction.
	Tenants  SettingsReader
	Now      func() time.Time
	Log      *slog.Logger
	EventTTL time.Duration
}

// Handler serves POST /v1/webhooks/{tenant}.
type Handler struct {
	secrets SecretSource
	store   SnapshotStore
	queue   Publisher
	tenants SettingsReader
	lanes   LaneChooser
	now     func() time.Time
	log     *slog.Logger
	ttl     time.Duration
}

// New returns a Handler using deps.
func New(deps Deps) *Handler {
	h := &Handler{secrets: deps.Secrets, store: deps.Store, queue: deps.Queue, tenants: deps.Tenants, lanes: deps.Lanes,
		now: deps.Now, log: deps.Log, ttl: deps.EventTTL}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if h.ttl <= 0 {
		h.ttl = DefaultEventTTL
	}
	return h
}

// Handle answers one webhook request. The error is always nil: every
// outcome, failures of the store included, is an HTTP answer.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx, cancel := withReplyTime(ctx)
	defer cancel()
	tenant := req.PathParameters["tenant"]
	if !billing.ValidTenant(tenant) {
		return h.badSignature(ctx, "", "invalid tenant id")
	}
	log := h.log.With("tenant", tenant)
	body, ok := decodeBody(req)
	if !ok {
		log.WarnContext(ctx, "webhook refused", "status", 413, "reason", "body too large")
		return answer(413, errorBody{Error: "body_too_large"}), nil
	}
	if !isJSON(header(req.Headers, "content-type")) {
		log.WarnContext(ctx, "webhook refused", "status", 415, "reason", "content type")
		return answer(415, errorBody{Error: "unsupported_media_type"}), nil
	}
	ctx = h.prefetch(ctx, tenant, body)
	secrets, err := h.secrets.WebhookSecrets(ctx, tenant)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.badSignature(ctx, tenant, "unknown tenant")
	case err != nil:
		return h.unavailable(ctx, log, "load webhook secrets", err), nil
	}
	if billing.VerifySignature(header(req.Headers, billing.SignatureHeader), body, secrets, h.now()) != nil {
		return h.badSignature(ctx, tenant, "signature")
	}
	ev, err := billing.ParseEvent(body)
	if err != nil {
		var ve *billing.ValidationError
		errors.As(err, &ve)
		log.InfoContext(ctx, "webhook refused", "status", 400, "problems", len(ve.Problems))
		return answer(400, invalidBody{Error: "invalid_event", Details: ve.Problems}), nil
	}
	return h.accept(ctx, tenant, ev), nil
}

// accept stores and queues a valid event. The event id is recorded last,
// so that a failure at any step leaves it unseen and the sender's retry
// does the whole work again.
func (h *Handler) accept(ctx context.Context, tenant string, ev billing.Event) events.APIGatewayV2HTTPResponse {
	ent := ev.Entity
	log := h.log.With("tenant", tenant, "kind", ev.Kind, "id", ent.EntityID(), "version", ent.EntityVersion(), "event_id", ev.ID)
	seen, err := h.store.EventSeen(ctx, tenant, ev.ID)
	if err != nil {
		return h.unavailable(ctx, log, "look up event", err)
	}
	if seen {
		log.InfoContext(ctx, "webhook answered", "status", 200, "result", "duplicate")
		return answer(200, statusBody{EventID: ev.ID, Status: "duplicate"})
	}
	now := h.now()
	err = h.store.PutSnapshot(ctx, store.Snapshot{
		Tenant: tenant, Kind: ev.Kind, ID: ent.EntityID(), Version: ent.EntityVersion(),
		CustomerID: ent.CustomerRef(), Action: ev.Action, EventID: ev.ID,
		OccurredAt: ev.OccurredAt, ReceivedAt: now, Data: ev.Data,
	})
	var unchanged *store.UnchangedError
	var conflict *store.VersionConflictError
	stale := errors.Is(err, store.ErrStale)
	switch {
	case errors.As(err, &conflict):
		log.InfoContext(ctx, "webhook refused", "status", 409, "result", "version_conflict", "field", conflict.Field)
		return answer(409, conflictBody{Error: "version_conflict", Field: conflict.Field, Message: fmt.Sprintf(
			"version %d of %s %s was already received with a different %q; send a change as a higher version",
			conflict.Version, ev.Kind, ent.EntityID(), conflict.Field)})
	case errors.As(err, &unchanged), stale:
	case err != nil:
		return h.unavailable(ctx, log, "store snapshot", err)
	}
	// A new version is queued; so is the same version of an entity not
	// yet tried (the first delivery's enqueue may have failed), and it is
	// answered as accepted. A tried entity stays as it is: a duplicate.
	lane := queue.LaneLive
	if err == nil || unchanged != nil && unchanged.Status == store.StatusNotTried {
		lane, err = h.queue.PublishChoosing(ctx, queue.Message{
			Tenant: tenant, Kind: ev.Kind, ID: ent.EntityID(), CustomerID: ent.CustomerRef(),
			Version: ent.EntityVersion(), EventID: ev.ID, Reason: "webhook",
			Parents: change.ParentHints(ent.Refs()),
		}, func(ctx context.Context) queue.Lane { return h.lane(ctx, tenant, ev) })
		if err != nil {
			return h.unavailable(ctx, log, "queue message", err)
		}
	}
	// Read before the event id is recorded: an answer other than 2xx must
	// leave nothing remembered, so the sender's retry does the whole work.
	var skipped string
	if !stale && (unchanged == nil || unchanged.Status == store.StatusNotTried) {
		if skipped, err = h.notSynced(ctx, tenant, ev.Kind); err != nil {
			return h.unavailable(ctx, log, "read settings", err)
		}
	}
	if err := h.store.RecordEvent(ctx, tenant, ev.ID, now.Add(h.ttl)); err != nil {
		return h.unavailable(ctx, log, "record event", err)
	}
	if stale {
		log.InfoContext(ctx, "webhook answered", "status", 200, "result", "stale")
		return answer(200, statusBody{EventID: ev.ID, Status: "stale"})
	}
	if unchanged != nil && unchanged.Status != store.StatusNotTried {
		log.InfoContext(ctx, "webhook answered", "status", 200, "result", "duplicate", "entity_status", unchanged.Status)
		return answer(200, statusBody{EventID: ev.ID, Status: "duplicate"})
	}
	if skipped != "" {
		log.InfoContext(ctx, "webhook answered", "status", 202, "result", "skipped")
		return answer(202, skippedBody{EventID: ev.ID, Status: "skipped", Reason: skipped})
	}
	log.InfoContext(ctx, "webhook answered", "status", 202, "result", "accepted", "lane", lane.String())
	return answer(202, statusBody{EventID: ev.ID, Status: "accepted"})
}

// notSynced says why an entity of kind is stored but will not be synced:
// a payment while the tenant's payments come from QuickBooks. The sync
// marks it skipped with the same reason.
func (h *Handler) notSynced(ctx context.Context, tenant string, kind billing.Kind) (string, error) {
	if kind != billing.KindPayment || h.tenants == nil {
		return "", nil
	}
	t, err := h.tenants.Tenant(ctx, tenant)
	if err != nil {
		return "", err
	}
	if t.Settings.PaymentsFromQuickBooks() {
		return PaymentsFromQuickBooks, nil
	}
	return "", nil
}

// PaymentsFromQuickBooks is the reason in the answer to a billing payment
// while the tenant's payments come from QuickBooks.
const PaymentsFromQuickBooks = "payments_direction is from_quickbooks: payments are recorded in QuickBooks and sent to billing, " +
	"so this payment is stored but not synced to QuickBooks"

func (h *Handler) lane(ctx context.Context, tenant string, ev billing.Event) queue.Lane {
	if h.lanes == nil {
		return queue.LaneLive
	}
	return h.lanes.Choose(ctx, tenant, ev.OccurredAt)
}

func (h *Handler) badSignature(ctx context.Context, tenant, reason string) (events.APIGatewayV2HTTPResponse, error) {
	// The reason is logged for operators; the sender only learns that the
	// request was not accepted, so tenants cannot be enumerated.
	h.log.WarnContext(ctx, "webhook refused", "tenant", tenant, "status", 401, "reason", reason)
	return answer(401, errorBody{Error: "invalid_signature"}), nil
}

func (h *Handler) unavailable(ctx context.Context, log *slog.Logger, step string, err error) events.APIGatewayV2HTTPResponse {
	log.ErrorContext(ctx, "webhook failed", "status", 503, "step", step, "error", err.Error())
	return answer(503, errorBody{Error: "unavailable"})
}

// replyMargin is kept free before the function's deadline, and workLimit
// bounds the work without one: a DynamoDB or SQS call that hangs is cut
// off in time for the handler to answer 503 itself, instead of the
// platform answering 500 when the function times out.
const (
	replyMargin = 2 * time.Second
	workLimit   = 8 * time.Second
)

func withReplyTime(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-replyMargin))
	}
	return context.WithTimeout(ctx, workLimit)
}

// decodeBody returns the raw body, or false when it is over MaxBody or
// not valid base64.
func decodeBody(req events.APIGatewayV2HTTPRequest) ([]byte, bool) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), len(req.Body) <= MaxBody
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBody+3 {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		// Nothing signed can be recovered; the signature check fails on it.
		return nil, true
	}
	return b, len(b) <= MaxBody
}

// isJSON accepts application/json with an optional UTF-8 charset.
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// header looks a header up case-insensitively: HTTP APIs lower-case
// names, but other callers of the handler may not.
func header(h map[string]string, name string) string {
	if v, ok := h[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

type statusBody struct {
	EventID string `json:"event_id"`
	Status  string `json:"status"`
}

type skippedBody struct {
	EventID string `json:"event_id"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
}

type errorBody struct {
	Error string `json:"error"`
}

type conflictBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

type invalidBody struct {
	Error   string            `json:"error"`
	Details []billing.Problem `json:"details"`
}

func answer(status int, body any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(body)
	if err != nil {
		// The bodies are plain structs of strings; this cannot happen.
		panic("webhook: encode answer: " + err.Error())
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(b),
	}
}
