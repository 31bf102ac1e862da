package intuit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// MaxBody bounds a delivery: Intuit sends at most 100 events, about 1 MB.
const MaxBody = 2 << 20

// eventTTL is how long accepted event ids are remembered; Intuit retries
// a delivery for days (every 6 hours after the first hours).
const eventTTL = 14 * 24 * time.Hour

// Store is what the endpoint reads and writes.
type Store interface {
	RealmOwner(ctx context.Context, realm string) (string, error)
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	EventSeen(ctx context.Context, tenant, eventID string) (bool, error)
	RecordEvent(ctx context.Context, tenant, eventID string, expires time.Time) error
}

// Publisher queues the payments to import.
type Publisher interface {
	Publish(ctx context.Context, m queue.Message) error
}

// Handler serves POST /v1/intuit/webhooks: it verifies, routes each event
// to the tenant owning its company, drops what it already accepted and
// queues the payments named, then answers 200. The payments are fetched
// by the payment sync function, so the answer comes well inside the 3 s
// Intuit waits for.
type Handler struct {
	VerifierToken string
	Store         Store
	Queue         Publisher
	Now           func() time.Time
	Log           *slog.Logger
}

type summary struct {
	Received int `json:"received"`
	Queued   int `json:"queued"`
}

// Handle answers one delivery. The error is always nil.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := h.logger()
	body, ok := rawBody(req)
	if !ok {
		log.WarnContext(ctx, "intuit webhook refused", "status", 413)
		return answer(413, map[string]string{"error": "body_too_large"}), nil
	}
	if Verify(header(req.Headers, SignatureHeader), body, h.VerifierToken) != nil {
		log.WarnContext(ctx, "intuit webhook refused", "status", 401, "reason", "signature")
		return answer(401, map[string]string{"error": "invalid_signature"}), nil
	}
	notices, err := Parse(body)
	if err != nil {
		log.WarnContext(ctx, "intuit webhook refused", "status", 400, "reason", err.Error())
		return answer(400, map[string]string{"error": "invalid_notification", "message": err.Error()}), nil
	}
	r := &routing{h: h, owners: map[string]string{}, importing: map[string]bool{}}
	queued := 0
	for _, n := range notices {
		q, err := r.accept(ctx, n)
		if err != nil {
			// Intuit redelivers on a 5xx; what was queued is dropped then
			// as already seen.
			log.ErrorContext(ctx, "intuit webhook failed", "status", 503, "event_id", n.ID, "realm", n.Realm, "error", err.Error())
			return answer(503, map[string]string{"error": "unavailable"}), nil
		}
		if q {
			queued++
		}
	}
	log.InfoContext(ctx, "intuit webhook answered", "status", 200, "received", len(notices), "queued", queued)
	return answer(200, summary{Received: len(notices), Queued: queued}), nil
}

// routing caches, for one delivery, each company's owner and whether it
// imports payments.
type routing struct {
	h         *Handler
	owners    map[string]string
	importing map[string]bool
}

// accept queues n if it names a payment of a company whose owner imports
// payments, and reports whether it did.
func (r *routing) accept(ctx context.Context, n Notice) (bool, error) {
	if n.Entity != "payment" || n.EntityID == "" {
		return false, nil
	}
	tenant, err := r.owner(ctx, n.Realm)
	if err != nil || tenant == "" {
		return false, err
	}
	if on, err := r.imports(ctx, tenant); err != nil || !on {
		return false, err
	}
	key := "intuit:" + n.ID
	seen, err := r.h.Store.EventSeen(ctx, tenant, key)
	if err != nil || seen {
		return false, err
	}
	err = r.h.Queue.Publish(ctx, queue.Message{Tenant: tenant, Kind: billing.KindPayment, ID: n.EntityID,
		Realm: n.Realm, EventID: n.ID, Nonce: n.ID, Source: queue.SourceQuickBooks, Reason: "intuit_webhook"})
	if err != nil {
		return false, err
	}
	// Recorded last: a failure before leaves the event unseen, and
	// Intuit's redelivery queues it again.
	return true, r.h.Store.RecordEvent(ctx, tenant, key, r.h.now().Add(eventTTL))
}

func (r *routing) owner(ctx context.Context, realm string) (string, error) {
	if t, ok := r.owners[realm]; ok {
		return t, nil
	}
	t, err := r.h.Store.RealmOwner(ctx, realm)
	if errors.Is(err, store.ErrNotFound) {
		r.h.logger().WarnContext(ctx, "intuit event for a company no tenant connected", "realm", realm)
		t, err = "", nil
	}
	if err != nil {
		return "", err
	}
	r.owners[realm] = t
	return t, nil
}

func (r *routing) imports(ctx context.Context, tenant string) (bool, error) {
	if on, ok := r.importing[tenant]; ok {
		return on, nil
	}
	t, err := r.h.Store.Tenant(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.importing[tenant] = t.Settings.PaymentsFromQuickBooks()
	return r.importing[tenant], nil
}

func (h *Handler) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

func (h *Handler) logger() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return h.Log
}

// rawBody returns the body exactly as Intuit signed it.
func rawBody(req events.APIGatewayV2HTTPRequest) ([]byte, bool) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), len(req.Body) <= MaxBody
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, true // nothing signed: the signature check refuses it
	}
	return b, len(b) <= MaxBody
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func answer(status int, body any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(body)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b),
		Headers: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}}
}
