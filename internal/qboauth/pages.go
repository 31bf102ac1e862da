package qboauth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/store"
)

func (h *Handler) callback(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	q := req.QueryStringParameters
	if len(req.RawQueryString) > maxQuery {
		return page(http.StatusRequestURITooLong, "QuickBooks was not connected", "The callback address is too long.", "")
	}
	if e := q["error"]; e != "" {
		if len(e) > maxErrorLen || !visible(e) {
			e = "an error"
		}
		return page(http.StatusBadRequest, "QuickBooks was not connected",
			fmt.Sprintf("Intuit answered %q. Start again from the admin page when ready.", e), "")
	}
	code, realm, state := q["code"], q["realmId"], q["state"]
	if code == "" || len(code) > maxCodeLen || !visible(code) || !validRealm(realm) || state == "" || len(state) > maxStateLen {
		return page(http.StatusBadRequest, "QuickBooks was not connected", "The callback is missing its code, realmId or state, or one of them is malformed.", "")
	}
	done, err := h.d.Connector.Callback(ctx, code, realm, state, callbackURL(req))
	var other *ErrOtherCompany
	var mismatch *ErrGrantMismatch
	var taken *store.RealmTakenError
	switch {
	case errors.Is(err, ErrBadState):
		return page(http.StatusBadRequest, "Link expired", "This connect link is invalid or expired. Start again from the admin page.", "")
	case errors.Is(err, ErrStateUsed):
		return page(http.StatusBadRequest, "Link already used", "This connect link was already used; each works once. Nothing was changed. Start again from the admin page.", "")
	case errors.As(err, &mismatch) && errors.Is(err, ErrGrantRefused):
		h.d.Log.WarnContext(ctx, "qbo grant does not open the named company", "realm_id", realm, "err", err)
		return page(http.StatusConflict, "A different QuickBooks company",
			fmt.Sprintf("The access Intuit granted does not open QuickBooks company %s, which the callback names. Nothing was changed. Start again from the admin page.", realm), "")
	case errors.As(err, &mismatch):
		h.d.Log.ErrorContext(ctx, "check new qbo grant", "realm_id", realm, "err", err)
		return page(http.StatusBadGateway, "QuickBooks was not connected",
			fmt.Sprintf("QuickBooks company %s could not be read with the new access, so it was not saved. Nothing was changed. Please try again.", realm), "")
	case errors.As(err, &taken):
		h.d.Log.WarnContext(ctx, "qbo company synced by another tenant", "realm_id", realm)
		return page(http.StatusConflict, "Company synced by another tenant",
			fmt.Sprintf("QuickBooks company %s is already synced by another tenant; one company holds one billing account's books. Nothing was changed. "+
				"Choose another company, or ask an operator to allow sharing it.", realm), "")
	case errors.As(err, &other):
		return page(http.StatusConflict, "A different QuickBooks company",
			fmt.Sprintf("Tenant %s syncs to QuickBooks company %s, but company %s was chosen. Nothing was changed. "+
				"To keep syncing, connect company %s again. To move to company %s instead, start a reset from the admin page: "+
				"its links to company %s are forgotten and every entity is sent to the new company.",
				other.Tenant, other.Connected, other.Chosen, other.Connected, other.Chosen, other.Connected), "")
	case err != nil:
		h.d.Log.ErrorContext(ctx, "complete qbo connect", "realm_id", realm, "err", err)
		return page(http.StatusBadGateway, "QuickBooks was not connected", "Intuit did not complete the connection. Please try again.", "")
	}
	text := fmt.Sprintf("Tenant %s is now connected to QuickBooks company %s. %d queued entities are being sent; new billing events sync as they arrive.",
		done.Tenant, done.RealmID, done.Requeued)
	if done.Reset {
		text += " The links to the previous company were forgotten."
	}
	return page(http.StatusOK, "QuickBooks connected", text, h.readiness(ctx, done.Connection))
}

// readiness checks the new connection and renders the report; a failed
// check does not fail the connect (the hourly pass repeats it).
func (h *Handler) readiness(ctx context.Context, conn store.Connection) string {
	if h.d.Readiness == nil {
		return ""
	}
	r, err := h.d.Readiness.Check(ctx, conn)
	if err != nil {
		h.d.Log.WarnContext(ctx, "readiness check at connect", "tenant", conn.Tenant, "err", err)
		return "<p>The company's settings could not be checked now; the check runs again within the hour.</p>"
	}
	var b strings.Builder
	b.WriteString("<h2>Before the first sync</h2><ul>")
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "<li class=\"%s\"><strong>%s</strong> (%s): %s</li>",
			html.EscapeString(c.Level), html.EscapeString(c.Code), html.EscapeString(c.Level), html.EscapeString(c.Message))
	}
	b.WriteString("</ul>")
	return b.String()
}

// page renders a small HTML page; extra is trusted, already escaped HTML.
func page(status int, title, text, extra string) events.APIGatewayV2HTTPResponse {
	body := fmt.Sprintf("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>%s</title><h1>%s</h1><p>%s</p>%s</html>",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text), extra)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: body,
		Headers: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
			"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}}
}

// validRealm: Intuit's realm ids (company ids) are decimal digits.
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

// visible: printable ASCII without spaces.
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
