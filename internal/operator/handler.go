package operator

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// Prefix is the path every operator route starts with.
const Prefix = "/api/v1/operator/"

// Limits on what the operator routes read.
const (
	maxBody    = 4 << 10
	maxPath    = 256
	maxNameLen = 200
)

// Store is the persistence the operator API needs (store.Store).
type Store interface {
	CreateTenant(ctx context.Context, t store.Tenant) error
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	Tenants(ctx context.Context) ([]store.TenantEntry, error)
	AddWebhookSecret(ctx context.Context, tenant, value string) (store.SecretInfo, error)
	RetireWebhookSecret(ctx context.Context, tenant, id string) error
	// AllowRealmSharing wraps store.ErrNotFound when no tenant owns realm.
	AllowRealmSharing(ctx context.Context, realm, tenant string) error
}

// Handler serves the operator routes.
type Handler struct {
	store    Store
	verifier auth.Verifier
	log      *slog.Logger
	dead     DeadLetters
	router   *apijson.Router
}

// New returns the operator API. v verifies bearer tokens where no gateway
// authorizer did (nil on AWS).
func New(s Store, v auth.Verifier, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{store: s, verifier: v, log: log, router: apijson.NewRouter("no such route")}
	h.routes()
	return h
}

func (h *Handler) routes() {
	const p = "/api/v1/operator"
	h.router.Handle("GET "+p+"/tenants", func(r *http.Request, _ events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		return h.list(r.Context())
	})
	h.router.Handle("POST "+p+"/tenants", func(r *http.Request, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		return h.create(r.Context(), ev, caller(r))
	})
	h.router.Handle("GET "+p+"/dead-letters", func(r *http.Request, _ events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		return h.deadLetters(r.Context())
	})
	h.tenant("GET "+p+"/tenants/{tenant}", func(r *http.Request, tenant string) events.APIGatewayV2HTTPResponse {
		return h.get(r.Context(), tenant)
	})
	h.tenant("POST "+p+"/tenants/{tenant}/webhook-secrets", func(r *http.Request, tenant string) events.APIGatewayV2HTTPResponse {
		return h.addSecret(r.Context(), tenant, caller(r))
	})
	h.tenant("DELETE "+p+"/tenants/{tenant}/webhook-secrets/{secret}", func(r *http.Request, tenant string) events.APIGatewayV2HTTPResponse {
		return h.retireSecret(r.Context(), tenant, r.PathValue("secret"), caller(r))
	})
	h.tenant("PUT "+p+"/tenants/{tenant}/shared-companies/{realm}", func(r *http.Request, tenant string) events.APIGatewayV2HTTPResponse {
		return h.allowSharing(r.Context(), tenant, r.PathValue("realm"), caller(r))
	})
}

// tenant registers a route on one tenant, refusing a malformed tenant id
// before fn runs.
func (h *Handler) tenant(pattern string, fn func(r *http.Request, tenant string) events.APIGatewayV2HTTPResponse) {
	h.router.Handle(pattern, func(r *http.Request, _ events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		tenant := r.PathValue("tenant")
		if !billing.ValidTenant(tenant) {
			return apijson.Fail(apijson.Bad("tenant must be 1-63 characters of a-z, 0-9, '-' and '_'"))
		}
		return fn(r, tenant)
	})
}

type claimsKey struct{}

// caller is the operator Handle authenticated.
func caller(r *http.Request) auth.Claims {
	c, _ := r.Context().Value(claimsKey{}).(auth.Claims)
	return c
}

// Handle serves one request. The caller is authenticated before the path
// is even looked at, so nothing about tenants leaks to others.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	claims, err := auth.FromRequest(ctx, req, h.verifier)
	if err == nil {
		err = claims.RequireOperator()
	}
	if err != nil {
		if errors.Is(err, auth.ErrForbidden) {
			h.log.WarnContext(ctx, "operator route refused a non-operator token", "role", claims.Role, "token_tenant", claims.Tenant, "path", req.RawPath)
		}
		return apijson.Fail(err), nil
	}
	if len(req.RawPath) > maxPath {
		return notFound(), nil
	}
	return h.router.Route(context.WithValue(ctx, claimsKey{}, claims), req), nil
}

func notFound() events.APIGatewayV2HTTPResponse {
	return apijson.Respond(http.StatusNotFound, apijson.Errorf(0, "not_found", "no such route"))
}

type tenantView struct {
	ID             string       `json:"id"`
	Name           string       `json:"name,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
	WebhookSecrets []secretView `json:"webhook_secrets,omitempty"`
}

type secretView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	// Value is set only in the answer that created the secret.
	Value string `json:"value,omitempty"`
}

func (h *Handler) list(ctx context.Context) events.APIGatewayV2HTTPResponse {
	ts, err := h.store.Tenants(ctx)
	if err != nil {
		return h.fail(ctx, err)
	}
	out := make([]tenantView, 0, len(ts))
	for _, t := range ts {
		out = append(out, tenantView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC()})
	}
	return apijson.Respond(http.StatusOK, map[string]any{"tenants": out})
}

func (h *Handler) get(ctx context.Context, tenant string) events.APIGatewayV2HTTPResponse {
	t, err := h.store.Tenant(ctx, tenant)
	if err != nil {
		return h.fail(ctx, err)
	}
	v := tenantView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC()}
	for _, s := range t.Secrets {
		v.WebhookSecrets = append(v.WebhookSecrets, secretView{ID: s.ID, CreatedAt: s.CreatedAt.UTC()})
	}
	return apijson.Respond(http.StatusOK, v)
}

type createRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (h *Handler) create(ctx context.Context, req events.APIGatewayV2HTTPRequest, by auth.Claims) events.APIGatewayV2HTTPResponse {
	var body createRequest
	if err := apijson.Decode(req, maxBody, &body); err != nil {
		return apijson.Fail(err)
	}
	if !billing.ValidTenant(body.ID) {
		return apijson.Fail(apijson.Bad("id must be 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"))
	}
	if !validName(body.Name) {
		return apijson.Fail(apijson.Bad("name must be 1-%d printable characters", maxNameLen))
	}
	secret, err := newSecret()
	if err != nil {
		return h.fail(ctx, err)
	}
	if err := h.store.CreateTenant(ctx, store.Tenant{ID: body.ID, Name: body.Name, WebhookSecrets: []string{secret}}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apijson.Fail(apijson.Errorf(http.StatusConflict, "tenant_exists", "tenant %s already exists", body.ID))
		}
		return h.fail(ctx, err)
	}
	t, err := h.store.Tenant(ctx, body.ID)
	if err != nil || len(t.Secrets) != 1 {
		return h.fail(ctx, errors.Join(err, errors.New("created tenant has no secret")))
	}
	h.log.InfoContext(ctx, "tenant created", "tenant", body.ID, "by", by.Subject, "secret_id", t.Secrets[0].ID)
	return apijson.Respond(http.StatusCreated, map[string]any{
		"tenant":         tenantView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC()},
		"webhook_secret": secretView{ID: t.Secrets[0].ID, CreatedAt: t.Secrets[0].CreatedAt.UTC(), Value: secret},
		"message":        "The webhook secret is shown only now: store it in the billing system.",
	})
}

func (h *Handler) addSecret(ctx context.Context, tenant string, by auth.Claims) events.APIGatewayV2HTTPResponse {
	secret, err := newSecret()
	if err != nil {
		return h.fail(ctx, err)
	}
	info, err := h.store.AddWebhookSecret(ctx, tenant, secret)
	if errors.Is(err, store.ErrTooMany) {
		return apijson.Fail(apijson.Errorf(http.StatusConflict, "too_many_secrets",
			"tenant %s already has %d active webhook secrets; retire the old one first", tenant, store.MaxWebhookSecrets))
	}
	if err != nil {
		return h.fail(ctx, err)
	}
	h.log.InfoContext(ctx, "webhook secret created", "tenant", tenant, "by", by.Subject, "secret_id", info.ID)
	return apijson.Respond(http.StatusCreated, map[string]any{
		"webhook_secret": secretView{ID: info.ID, CreatedAt: info.CreatedAt.UTC(), Value: secret},
		"message": "Both secrets verify webhooks now. Switch the billing system to this one, then retire the old one. " +
			"The value is shown only now.",
	})
}

func (h *Handler) retireSecret(ctx context.Context, tenant, id string, by auth.Claims) events.APIGatewayV2HTTPResponse {
	if !validSecretID(id) {
		return apijson.Fail(apijson.Bad("webhook secret ids look like whs_ followed by 16 hexadecimal digits"))
	}
	err := h.store.RetireWebhookSecret(ctx, tenant, id)
	switch {
	case errors.Is(err, store.ErrLastSecret):
		return apijson.Fail(apijson.Errorf(http.StatusConflict, "last_secret",
			"this is the tenant's only active webhook secret; create its successor first"))
	case errors.Is(err, store.ErrConflict):
		return apijson.Fail(apijson.Errorf(http.StatusConflict, "conflict", "the secrets changed meanwhile; try again"))
	case err != nil:
		return h.fail(ctx, err)
	}
	h.log.InfoContext(ctx, "webhook secret retired", "tenant", tenant, "by", by.Subject, "secret_id", id)
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
}

func (h *Handler) fail(ctx context.Context, err error) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, store.ErrNotFound) {
		return apijson.Fail(apijson.Errorf(http.StatusNotFound, "not_found", "no such tenant or secret"))
	}
	h.log.ErrorContext(ctx, "operator request failed", "err", err)
	return apijson.Fail(err)
}

// newSecret returns a webhook signing secret of 256 random bits.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b), nil
}

func validName(s string) bool {
	if s == "" || len(s) > maxNameLen*4 || utf8.RuneCountInString(s) > maxNameLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

func validSecretID(s string) bool {
	rest, ok := strings.CutPrefix(s, "whs_")
	if !ok || len(rest) != 16 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !(rest[i] >= '0' && rest[i] <= '9' || rest[i] >= 'a' && rest[i] <= 'f') {
			return false
		}
	}
	return true
}
