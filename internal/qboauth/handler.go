package qboauth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/billing"
)

// Handler serves GET /qbo/connect and GET /qbo/callback as API Gateway
// HTTP API routes.
type Handler struct {
	conn *Connector
	log  *slog.Logger
}

// NewHandler returns the OAuth function's handler.
func NewHandler(c *Connector, log *slog.Logger) *Handler { return &Handler{conn: c, log: log} }

// Handle routes one request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	switch req.RawPath {
	case "/qbo/connect":
		return h.connect(req), nil
	case "/qbo/callback":
		return h.callback(ctx, req), nil
	}
	return page(http.StatusNotFound, "Not found", "There is nothing here."), nil
}

func (h *Handler) connect(req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	tenant := req.QueryStringParameters["tenant"]
	if !billing.ValidTenant(tenant) {
		return page(http.StatusBadRequest, "Cannot connect", "The tenant parameter is missing or not a valid tenant id.")
	}
	u, err := h.conn.ConnectURL(tenant, callbackURL(req))
	if err != nil {
		h.log.Error("build connect url", "tenant", tenant, "err", err)
		return page(http.StatusInternalServerError, "Cannot connect", "Please try again.")
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusFound,
		Headers: map[string]string{"Location": u, "Cache-Control": "no-store"}}
}

func (h *Handler) callback(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	q := req.QueryStringParameters
	if e := q["error"]; e != "" {
		return page(http.StatusBadRequest, "QuickBooks was not connected",
			fmt.Sprintf("Intuit answered %q. Start again from the connect link when ready.", e))
	}
	tenant, err := h.conn.Callback(ctx, q["code"], q["realmId"], q["state"], callbackURL(req))
	if errors.Is(err, ErrBadState) {
		return page(http.StatusBadRequest, "Link expired", "This connect link is invalid or expired. Start again from the connect link.")
	}
	if err != nil {
		h.log.ErrorContext(ctx, "complete qbo connect", "tenant", tenant, "realm_id", q["realmId"], "err", err)
		return page(http.StatusBadGateway, "QuickBooks was not connected", "Intuit did not complete the connection. Please try again.")
	}
	h.log.InfoContext(ctx, "qbo connected", "tenant", tenant, "realm_id", q["realmId"])
	return page(http.StatusOK, "QuickBooks connected",
		fmt.Sprintf("Tenant %s is now connected to QuickBooks company %s. New billing events sync as they arrive; anything received before connecting is sent within the hour.", tenant, q["realmId"]))
}

func page(status int, title, text string) events.APIGatewayV2HTTPResponse {
	body := fmt.Sprintf("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>%s</title><h1>%s</h1><p>%s</p></html>",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: body,
		Headers: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}}
}

// callbackURL is this API's own callback URL, from the request's domain.
func callbackURL(req events.APIGatewayV2HTTPRequest) string {
	if req.RequestContext.DomainName == "" {
		return ""
	}
	return "https://" + req.RequestContext.DomainName + "/qbo/callback"
}
