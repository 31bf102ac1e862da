package qboauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/billing"
)

type disconnectRequest struct {
	Tenant string `json:"tenant"`
	// ForgetLinks asks to forget every link to QBO objects; it needs the
	// Confirmation a first call without one returns.
	ForgetLinks  bool   `json:"forget_links"`
	Confirmation string `json:"confirmation"`
}

type disconnectResponse struct {
	Status         string     `json:"status"` // disconnected, confirmation_required
	Tenant         string     `json:"tenant"`
	RealmID        string     `json:"realm_id,omitempty"`
	Revoked        bool       `json:"revoked"`
	LinksKept      bool       `json:"links_kept"`
	LinksForgotten int        `json:"links_forgotten"`
	Confirmation   string     `json:"confirmation,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	Message        string     `json:"message"`
}

func (h *Handler) disconnect(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	var body disconnectRequest
	if err := apijson.Decode(req, maxBody, &body); err != nil {
		return apijson.Fail(err)
	}
	if !billing.ValidTenant(body.Tenant) {
		return apijson.Fail(apijson.Bad("tenant must be 1-63 characters of a-z, 0-9, '-' and '_'"))
	}
	if len(body.Confirmation) > maxStateLen || (body.Confirmation != "" && !body.ForgetLinks) {
		return apijson.Fail(apijson.Bad("confirmation is only sent with forget_links, as returned by the first call"))
	}
	if err := h.authorize(ctx, req, body.Tenant); err != nil {
		return apijson.Fail(err)
	}
	if body.ForgetLinks && body.Confirmation == "" {
		tok, exp, err := h.d.Connector.ConfirmForget(body.Tenant)
		if err != nil {
			return apijson.Fail(err)
		}
		return apijson.Respond(http.StatusAccepted, disconnectResponse{Status: "confirmation_required", Tenant: body.Tenant,
			LinksKept: true, Confirmation: tok, ExpiresAt: &exp,
			Message: "Nothing changed yet. Forgetting links cannot be undone: the next sync of every entity looks its object up in " +
				"QuickBooks before creating one. Send the same request with this confirmation to disconnect and forget the links."})
	}
	out, err := h.d.Connector.Disconnect(ctx, body.Tenant, body.Confirmation)
	switch {
	case errors.Is(err, ErrConfirm):
		return apijson.Fail(apijson.Errorf(http.StatusForbidden, "confirmation_invalid",
			"the confirmation is invalid, expired or for another tenant; ask for a new one"))
	case errors.Is(err, ErrNotConnected):
		return apijson.Fail(apijson.Errorf(http.StatusNotFound, "not_connected", "tenant %s never connected QuickBooks", body.Tenant))
	case err != nil:
		h.d.Log.ErrorContext(ctx, "disconnect", "tenant", body.Tenant, "err", err)
		return apijson.Fail(apijson.Errorf(http.StatusBadGateway, "disconnect_failed",
			"Intuit did not confirm the revocation; nothing changed, try again"))
	}
	msg := "Disconnected. Syncing stopped; new billing events stay queued. Links were kept: reconnecting the same company resumes without duplicates."
	if body.ForgetLinks {
		msg = "Disconnected and links forgotten. After a reconnect every entity is sent again and re-latches to the object QuickBooks already holds."
	}
	return apijson.Respond(http.StatusOK, disconnectResponse{Status: "disconnected", Tenant: out.Tenant, RealmID: out.RealmID,
		Revoked: out.Revoked, LinksKept: !body.ForgetLinks, LinksForgotten: out.LinksForgotten, Message: msg})
}
