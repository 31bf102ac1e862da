package operator

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/store"
)

// maxRealmLen bounds a realm id read from a path; Intuit's are about 16
// digits.
const maxRealmLen = 32

// allowSharing lets tenant connect QuickBooks company realm although
// another tenant syncs to it: one company normally holds one billing
// account's books, so only an operator may decide otherwise.
func (h *Handler) allowSharing(ctx context.Context, tenant, realm string, by auth.Claims) events.APIGatewayV2HTTPResponse {
	if !validRealm(realm) {
		return apijson.Fail(apijson.Bad("realm must be a QuickBooks company id (digits)"))
	}
	if _, err := h.store.Tenant(ctx, tenant); err != nil {
		return h.fail(ctx, err)
	}
	err := h.store.AllowRealmSharing(ctx, realm, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return apijson.Fail(apijson.Errorf(http.StatusNotFound, "not_found",
			"no tenant syncs to company %s; %s can connect it without sharing", realm, tenant))
	}
	if err != nil {
		return h.fail(ctx, err)
	}
	h.log.InfoContext(ctx, "company sharing allowed", "tenant", tenant, "realm_id", realm, "by", by.Subject)
	return apijson.Respond(http.StatusOK, map[string]any{"tenant": tenant, "realm_id": realm, "shared": true,
		"message": "This tenant may now connect the company. Its objects there carry its own markers, so neither tenant touches the other's."})
}

func validRealm(s string) bool {
	if s == "" || len(s) > maxRealmLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
