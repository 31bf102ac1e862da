// Package admin serves the admin page and its JSON API: the overview of a
// tenant's sync (counts per kind and status, freshness, connection), the
// entities with QuickBooks' reasons and a plain-language cause and fix,
// resend, dismiss, connect customer and ledger settings. Every call is
// authenticated and scoped to the tenant of its path in code.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// Authenticator returns the verified claims of a request's caller, or an
// error wrapping auth.ErrUnauthorized.
type Authenticator func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (auth.Claims, error)

// Publisher queues entities for the sync engine.
type Publisher interface {
	Publish(ctx context.Context, m queue.Message) error
}

// Tokens hands out a tenant's QBO connection with a fresh access token.
type Tokens interface {
	Token(ctx context.Context, tenant string, force bool) (store.Connection, error)
}

// Store is what the admin reads and writes.
type Store interface {
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	Connection(ctx context.Context, tenant string) (store.Connection, error)
	Counts(ctx context.Context, tenant string) (store.Counts, error)
	Oldest(ctx context.Context, tenant string, kind billing.Kind, st store.Status) (store.EntityRecord, bool, error)
	ListEntities(ctx context.Context, tenant string, q store.ListQuery) ([]store.EntityRecord, string, error)
	EntityRecord(ctx context.Context, tenant string, kind billing.Kind, id string) (store.EntityRecord, error)
	History(ctx context.Context, tenant string, kind billing.Kind, id string, limit int) ([]store.HistoryEntry, error)
	DependentsPage(ctx context.Context, tenant string, parent billing.Ref, limit int) ([]store.Dependent, bool, error)
	Link(ctx context.Context, tenant string, kind billing.Kind, id string) (store.Link, error)
	PutLink(ctx context.Context, l store.Link) (store.Link, error)
	Dismiss(ctx context.Context, tenant string, kind billing.Kind, id string, d store.Dismissal) error
	Undismiss(ctx context.Context, tenant string, kind billing.Kind, id, by, reason string) error
	Requeue(ctx context.Context, tenant string, kind billing.Kind, id, by, action string, audit bool) (store.EntityState, error)
	Audit(ctx context.Context, tenant string, e store.AuditEntry) error
	AuditLog(ctx context.Context, tenant string, limit int) ([]store.AuditEntry, error)
	SaveSettings(ctx context.Context, tenant string, s store.Settings, rev int64) error
	SaveCustomerConnection(ctx context.Context, tenant string, c store.CustomerConnection) error
	CustomerConnection(ctx context.Context, tenant, id string) (store.CustomerConnection, error)
	Reconciliation(ctx context.Context, tenant string) (store.Reconciliation, error)
	Readiness(ctx context.Context, tenant string) (store.Readiness, error)
	AcceptDrift(ctx context.Context, tenant string, kind billing.Kind, id string, d store.Dismissal) error
	HasImportedPayments(ctx context.Context, tenant string) (bool, error)
	SavePaymentWatermark(ctx context.Context, tenant string, w store.PaymentWatermark) error
}

// Config holds the handler's dependencies.
type Config struct {
	Store  Store
	Queue  Publisher
	Tokens Tokens
	// DeadLetters reads and redrives the dead-letter queues; nil where
	// none are configured.
	DeadLetters  DeadLetters
	Authenticate Authenticator
	// QBOBaseURL is the Accounting API (or the simulator); QBOAppURL the
	// QuickBooks web app that entity links open
	// (https://app.qbo.intuit.com or https://app.sandbox.qbo.intuit.com).
	QBOBaseURL string
	QBOAppURL  string
	HTTPClient *http.Client
	// Reconciler runs a reconciliation on demand; nil answers 503.
	Reconciler Reconciler
	// Outbound holds the endpoint and log of events to billing; nil
	// answers 503.
	Outbound Outbound
	// Importer finds unlinked QuickBooks customers; nil answers 503.
	Importer Importer
	Log      *slog.Logger
	Now      func() time.Time
}

// Handler serves the admin function's routes.
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.routes()
	return h
}

func (h *Handler) routes() {
	h.mux.HandleFunc("GET /admin", h.page)
	h.mux.HandleFunc("GET /admin/{file}", h.asset)
	h.mux.HandleFunc("GET /api/v1/session", h.session)
	t := "/api/v1/tenants/{tenant}"
	h.tenant("GET "+t+"/overview", h.overview)
	h.tenant("GET "+t+"/entities", h.list)
	h.tenant("GET "+t+"/entities/{kind}/{id}", h.detail)
	h.tenant("POST "+t+"/entities/{kind}/{id}/resend", h.resendOne)
	h.tenant("POST "+t+"/entities/{kind}/{id}/dismiss", h.dismiss)
	h.tenant("POST "+t+"/entities/{kind}/{id}/undismiss", h.undismiss)
	h.tenant("POST "+t+"/resend", h.resendAll)
	h.tenant("POST "+t+"/sync-now", h.syncNow)
	h.tenant("GET "+t+"/qbo/customers", h.searchCustomers)
	h.tenant("POST "+t+"/customers/{id}/connect", h.connectCustomer)
	h.tenant("GET "+t+"/settings", h.settings)
	h.tenant("PATCH "+t+"/settings", h.saveSettings)
	h.tenant("GET "+t+"/audit", h.audit)
	h.tenant("GET "+t+"/reconciliation", h.reconciliation)
	h.tenant("POST "+t+"/reconciliation", h.reconcileNow)
	h.tenant("POST "+t+"/entities/{kind}/{id}/push", h.pushAgain)
	h.tenant("POST "+t+"/entities/{kind}/{id}/accept", h.acceptQuickBooks)
	h.tenant("GET "+t+"/dead-letters", h.deadLetters)
	h.tenant("POST "+t+"/dead-letters/redrive", h.redrive)
	h.tenant("GET "+t+"/quickbooks-customers", h.importedCustomers)
	h.tenant("POST "+t+"/quickbooks-customers/import", h.importCustomers)
	h.tenant("GET "+t+"/outbound/endpoint", h.outboundEndpoint)
	h.tenant("PUT "+t+"/outbound/endpoint", h.setOutboundEndpoint)
	h.tenant("POST "+t+"/outbound/endpoint/secrets", h.addOutboundSecret)
	h.tenant("DELETE "+t+"/outbound/endpoint/secrets/{id}", h.retireOutboundSecret)
	h.tenant("GET "+t+"/outbound/deliveries", h.deliveries)
	h.tenant("POST "+t+"/outbound/deliveries/{id}/redeliver", h.redeliver)
	h.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		apijson.WriteError(w, &apijson.Error{Status: http.StatusNotFound, Code: "not_found",
			Message: "no such admin API route"})
	})
}

// call is one authorised request on a tenant's data.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	tenant string
	claims auth.Claims
}

func (c *call) ctx() context.Context { return c.r.Context() }

// tenant registers a route on a tenant's data: the caller must be that
// tenant's admin, whatever the gateway checked before.
func (h *Handler) tenant(pattern string, fn func(*call)) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		claims, ok := h.authenticate(w, r)
		if !ok {
			return
		}
		tenant := r.PathValue("tenant")
		if err := claims.RequireTenant(tenant); err != nil {
			h.cfg.Log.WarnContext(r.Context(), "admin call for another tenant refused",
				"subject", claims.Subject, "token_tenant", claims.Tenant, "path_tenant", tenant)
			apijson.WriteError(w, &apijson.Error{Status: http.StatusForbidden, Code: "forbidden",
				Message: "this token does not administer tenant " + tenant})
			return
		}
		fn(&call{w: w, r: r, tenant: tenant, claims: claims})
	})
}

func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (auth.Claims, bool) {
	ev, _ := r.Context().Value(eventKey{}).(events.APIGatewayV2HTTPRequest)
	if h.cfg.Authenticate == nil {
		apijson.WriteError(w, &apijson.Error{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "admin sign-in is not configured"})
		return auth.Claims{}, false
	}
	claims, err := h.cfg.Authenticate(r.Context(), ev)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="qbosync admin"`)
		apijson.WriteError(w, &apijson.Error{Status: http.StatusUnauthorized, Code: "unauthorized",
			Message: "sign in with a valid admin token"})
		return auth.Claims{}, false
	}
	return claims, true
}

func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	claims, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	apijson.WriteJSON(w, http.StatusOK, map[string]any{"subject": claims.Subject, "tenant": claims.Tenant,
		"role": claims.Role, "expires_at": claims.Expires.UTC()})
}

type eventKey struct{}

// maxBody bounds the JSON bodies the API accepts.
const maxBody = 64 << 10

// Handle serves one API Gateway (payload v2) request.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r, err := apijson.Request(context.WithValue(ctx, eventKey{}, ev), ev)
	switch {
	case errors.Is(err, apijson.ErrBase64):
		return apijson.Fail(&apijson.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "body is not valid base64"}), nil
	case err != nil:
		return apijson.Fail(&apijson.Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "malformed request path"}), nil
	}
	if r.ContentLength > maxBody {
		return apijson.Fail(&apijson.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("bodies are limited to %d bytes", maxBody)}), nil
	}
	rec := apijson.NewRecorder()
	h.mux.ServeHTTP(rec, r)
	return rec.Response(), nil
}

// fail answers an unexpected error without revealing it.
func (c *call) fail(log *slog.Logger, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusNotFound, Code: "not_found",
			Message: "no such entity"})
	case errors.Is(err, store.ErrBadCursor):
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "bad_cursor",
			Message: "the cursor does not belong to this list"})
	default:
		log.ErrorContext(c.ctx(), "admin call failed", "tenant", c.tenant, "path", c.r.URL.Path, "err", err)
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusInternalServerError, Code: "internal",
			Message: "the request failed; try again"})
	}
}

// decode reads a JSON body strictly into v; an empty body is {}.
func (c *call) decode(v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err.Error() != "EOF" {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "bad_request",
			Message: "invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

// entityRef reads {kind}/{id} from the path.
func (c *call) entityRef() (billing.Kind, string, bool) {
	kind, id := billing.Kind(c.r.PathValue("kind")), c.r.PathValue("id")
	if !kind.Valid() || id == "" || len(id) > 64 {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusNotFound, Code: "not_found",
			Message: "no such entity"})
		return "", "", false
	}
	return kind, id, true
}
