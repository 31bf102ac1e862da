package qboauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// Limits on what the OAuth routes read.
const (
	maxBody     = 4 << 10
	maxQuery    = 4 << 10
	maxCodeLen  = 512
	maxRealmLen = 32
	maxErrorLen = 64
)

// StatusStore reads what the connection routes report.
type StatusStore interface {
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	ConnectionStatus(ctx context.Context, tenant string) (store.Connection, error)
	Readiness(ctx context.Context, tenant string) (store.Readiness, error)
}

// Checker runs the readiness check of a freshly connected company.
type Checker interface {
	Check(ctx context.Context, conn store.Connection) (store.Readiness, error)
}

// HandlerDeps are what the OAuth function's handler is built from.
type HandlerDeps struct {
	Connector *Connector
	Store     StatusStore
	Readiness Checker // nil: no check at connect
	// Verifier checks bearer tokens where no gateway authorizer did.
	Verifier auth.Verifier
	Log      *slog.Logger
}

// Handler serves the OAuth function's routes as API Gateway HTTP API
// routes: POST /qbo/connect, GET /qbo/callback, GET /qbo/connection and
// POST /qbo/disconnect.
type Handler struct {
	d      HandlerDeps
	router *apijson.Router
}

// NewHandler returns the OAuth function's handler.
func NewHandler(d HandlerDeps) *Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{d: d, router: apijson.NewRouter("no such route")}
	for pattern, fn := range map[string]func(context.Context, events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse{
		"GET /qbo/callback":    h.callback,
		"POST /qbo/connect":    h.connect,
		"GET /qbo/connection":  h.status,
		"POST /qbo/disconnect": h.disconnect,
	} {
		h.router.Handle(pattern, func(r *http.Request, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
			return fn(r.Context(), ev)
		})
	}
	return h
}

// Handle routes one request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return h.router.Route(ctx, req), nil
}

// authorize returns the caller's claims if they administer tenant.
func (h *Handler) authorize(ctx context.Context, req events.APIGatewayV2HTTPRequest, tenant string) error {
	c, err := auth.FromRequest(ctx, req, h.d.Verifier)
	if err != nil {
		return err
	}
	if err := c.RequireTenant(tenant); err != nil {
		h.d.Log.WarnContext(ctx, "connection route refused another tenant's token", "tenant", tenant,
			"token_tenant", c.Tenant, "role", c.Role, "path", req.RawPath)
		return err
	}
	return nil
}

type connectRequest struct {
	Tenant string `json:"tenant"`
	// Reset allows the consent to choose another company than the
	// connected one; the tenant's links are then forgotten.
	Reset bool `json:"reset"`
}

func (h *Handler) connect(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	var body connectRequest
	if err := apijson.Decode(req, maxBody, &body); err != nil {
		return apijson.Fail(err)
	}
	if !billing.ValidTenant(body.Tenant) {
		return apijson.Fail(apijson.Bad("tenant must be 1-63 characters of a-z, 0-9, '-' and '_'"))
	}
	if err := h.authorize(ctx, req, body.Tenant); err != nil {
		return apijson.Fail(err)
	}
	if _, err := h.d.Store.Tenant(ctx, body.Tenant); err != nil {
		return h.storeFail(ctx, err, "tenant")
	}
	u, err := h.d.Connector.ConnectURL(body.Tenant, body.Reset, callbackURL(req))
	if err != nil {
		h.d.Log.ErrorContext(ctx, "build connect url", "tenant", body.Tenant, "err", err)
		return apijson.Fail(err)
	}
	return apijson.Respond(http.StatusOK, map[string]any{"authorize_url": u, "expires_in": int(stateTTL / time.Second)})
}

func (h *Handler) status(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	if len(req.RawQueryString) > maxQuery {
		return apijson.Fail(apijson.Errorf(http.StatusRequestURITooLong, "query_too_long", "the query exceeds %d bytes", maxQuery))
	}
	tenant := req.QueryStringParameters["tenant"]
	if !billing.ValidTenant(tenant) {
		return apijson.Fail(apijson.Bad("tenant must be 1-63 characters of a-z, 0-9, '-' and '_'"))
	}
	if err := h.authorize(ctx, req, tenant); err != nil {
		return apijson.Fail(err)
	}
	c, err := h.d.Store.ConnectionStatus(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		c, err = store.Connection{Tenant: tenant, Status: "never_connected"}, nil
	}
	if err != nil {
		return h.storeFail(ctx, err, "connection")
	}
	out := StatusView(c)
	if r, err := h.d.Store.Readiness(ctx, tenant); err == nil {
		out.Readiness = &r
	} else if !errors.Is(err, store.ErrNotFound) {
		return h.storeFail(ctx, err, "readiness")
	}
	return apijson.Respond(http.StatusOK, out)
}

func (h *Handler) storeFail(ctx context.Context, err error, what string) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, store.ErrNotFound) {
		return apijson.Fail(apijson.Errorf(http.StatusNotFound, "not_found", "no such %s", what))
	}
	h.d.Log.ErrorContext(ctx, "read "+what, "err", err)
	return apijson.Fail(err)
}

// callbackURL is this API's own callback URL, from the request's domain.
func callbackURL(req events.APIGatewayV2HTTPRequest) string {
	if req.RequestContext.DomainName == "" {
		return ""
	}
	return "https://" + req.RequestContext.DomainName + "/qbo/callback"
}
