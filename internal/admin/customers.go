package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// errNotConnected: the tenant has no usable QuickBooks connection.
var errNotConnected = errors.New("quickbooks not connected")

// qboClient returns a client on the tenant's company with a fresh token.
func (h *Handler) qboClient(ctx context.Context, tenant string) (*qbo.Client, store.Connection, error) {
	if h.cfg.Tokens == nil {
		return nil, store.Connection{}, errNotConnected
	}
	conn, err := h.cfg.Tokens.Token(ctx, tenant, false)
	if err != nil {
		return nil, store.Connection{}, fmt.Errorf("%w: %v", errNotConnected, err)
	}
	return qbo.New(qbo.WithToken(h.cfg.HTTPClient, conn.AccessToken), h.cfg.QBOBaseURL), conn, nil
}

type qboCustomerView struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CompanyName string `json:"company_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Active      bool   `json:"active"`
	Balance     string `json:"balance,omitempty"`
	// BillingID is the billing customer this QBO customer already mirrors,
	// read from the marker the sync writes into its notes.
	BillingID string `json:"billing_id,omitempty"`
}

// customerMarker reads the sync's marker, "[billing acme/customer cus_1]",
// and the older form without the tenant.
var customerMarker = regexp.MustCompile(`\[billing (?:([a-z0-9_-]+)/)?customer ([^\]\s]+)\]`)

// mirrors returns the billing customer of tenant a QBO customer's notes
// name, and whether they name one of another tenant.
func mirrors(notes, tenant string) (billingID string, otherTenant bool) {
	m := customerMarker.FindStringSubmatch(notes)
	switch {
	case m == nil:
		return "", false
	case m[1] != "" && m[1] != tenant:
		return "", true
	}
	return m[2], false
}

// maxSearch bounds the QBO customers one search returns.
const maxSearch = 25

func (h *Handler) searchCustomers(c *call) {
	term := strings.TrimSpace(c.r.URL.Query().Get("search"))
	if term == "" || len(term) > 100 {
		writeJSON(c.w, http.StatusBadRequest, apiError{Error: "invalid_query", Message: "search needs 1 to 100 characters of a customer's name",
			Problems: []Problem{{Field: "search", Message: "1 to 100 characters"}}})
		return
	}
	client, conn, err := h.qboClient(c.ctx(), c.tenant)
	if err != nil {
		writeError(c.w, http.StatusConflict, "not_connected", connectionProblem(err))
		return
	}
	// QBO's LIKE has no escape for % and _; they only widen the match.
	stmt := fmt.Sprintf("select * from Customer where DisplayName like %s orderby DisplayName maxresults %d",
		qbo.Quote("%"+term+"%"), maxSearch)
	found, err := qbo.Query[qbo.Customer](c.ctx(), client, conn.RealmID, stmt)
	if err != nil {
		h.qboFailed(c, err)
		return
	}
	out := make([]qboCustomerView, 0, len(found))
	for _, f := range found {
		v := qboCustomerView{ID: f.ID, DisplayName: f.DisplayName, CompanyName: f.CompanyName,
			Active: f.Active == nil || *f.Active, Balance: f.Balance.String()}
		if f.PrimaryEmailAddr != nil {
			v.Email = f.PrimaryEmailAddr.Address
		}
		v.BillingID, _ = mirrors(f.Notes, c.tenant)
		out = append(out, v)
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"customers": out})
}

type connectBody struct {
	Mode          string `json:"mode"`
	QBOCustomerID string `json:"qbo_customer_id,omitempty"`
	StartDate     string `json:"start_date,omitempty"`
}

// connectCustomer latches a billing customer to an existing QBO customer
// (its link is written now) or has the sync create one; either way the
// customer is queued, and its financial start date is kept for the sync.
func (h *Handler) connectCustomer(c *call) {
	id := c.r.PathValue("id")
	var b connectBody
	if !c.decode(&b) {
		return
	}
	if problems := validateConnect(b); len(problems) > 0 {
		writeJSON(c.w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: problems[0].Message, Problems: problems})
		return
	}
	ctx := c.ctx()
	if _, err := h.cfg.Store.EntityRecord(ctx, c.tenant, billing.KindCustomer, id); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	link, err := h.cfg.Store.Link(ctx, c.tenant, billing.KindCustomer, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.fail(h.cfg.Log, err)
		return
	}
	if b.Mode == store.ConnectLatch {
		if !h.latch(c, link, id, b.QBOCustomerID) {
			return
		}
	} else if link.Linked() {
		writeError(c.w, http.StatusConflict, "already_linked",
			fmt.Sprintf("customer %s is already linked to QuickBooks customer %s; latch it to another one instead", id, link.QBOID))
		return
	}
	cc := store.CustomerConnection{CustomerID: id, Mode: b.Mode, QBOID: b.QBOCustomerID, StartDate: b.StartDate, By: c.claims.Subject}
	if err := h.cfg.Store.SaveCustomerConnection(ctx, c.tenant, cc); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if _, err := h.requeue(ctx, c, billing.KindCustomer, id, "connect_customer", false); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	writeJSON(c.w, http.StatusAccepted, map[string]any{"customer_id": id, "mode": b.Mode, "qbo_customer_id": b.QBOCustomerID,
		"start_date": b.StartDate, "status": store.StatusNotTried})
}

func validateConnect(b connectBody) []Problem {
	var out []Problem
	switch b.Mode {
	case store.ConnectLatch:
		if b.QBOCustomerID == "" || len(b.QBOCustomerID) > 20 || strings.Trim(b.QBOCustomerID, "0123456789") != "" {
			out = append(out, Problem{Field: "qbo_customer_id", Message: "latch needs the id of the QuickBooks customer chosen from the search"})
		}
	case store.ConnectCreate:
		if b.QBOCustomerID != "" {
			out = append(out, Problem{Field: "qbo_customer_id", Message: "create takes no QuickBooks customer id"})
		}
	default:
		out = append(out, Problem{Field: "mode", Message: "mode must be latch or create"})
	}
	if b.StartDate != "" {
		if _, err := time.Parse(time.DateOnly, b.StartDate); err != nil {
			out = append(out, Problem{Field: "start_date", Message: "start_date must be a date (YYYY-MM-DD)"})
		}
	}
	return out
}

// latch writes the customer's link to QBO customer qboID after checking
// the customer exists in the tenant's company.
func (h *Handler) latch(c *call, link store.Link, id, qboID string) bool {
	client, conn, err := h.qboClient(c.ctx(), c.tenant)
	if err != nil {
		writeError(c.w, http.StatusConflict, "not_connected", connectionProblem(err))
		return false
	}
	found, err := qbo.Read[qbo.Customer](c.ctx(), client, conn.RealmID, qboID)
	var qe *qbo.Error
	if errors.As(err, &qe) && (qe.ObjectNotFound() || qe.Status == http.StatusNotFound || qe.Validation()) {
		writeJSON(c.w, http.StatusUnprocessableEntity, apiError{Error: "no_such_customer",
			Message: "QuickBooks has no customer " + qboID, Problems: []Problem{{Field: "qbo_customer_id", Message: "QuickBooks has no customer " + qboID}}})
		return false
	}
	if err != nil {
		h.qboFailed(c, err)
		return false
	}
	// One QBO customer mirrors one billing customer: latching another's
	// would merge their books.
	if other, otherTenant := mirrors(found.Notes, c.tenant); otherTenant || other != "" && other != id {
		msg := fmt.Sprintf("QuickBooks customer %s already mirrors billing customer %s; choose another or create one", qboID, other)
		if otherTenant {
			msg = fmt.Sprintf("QuickBooks customer %s mirrors another tenant's customer; choose another or create one", qboID)
		}
		writeJSON(c.w, http.StatusConflict, apiError{Error: "already_mirrored", Message: msg,
			Problems: []Problem{{Field: "qbo_customer_id", Message: msg}}})
		return false
	}
	// The sent hash is cleared so the next sync writes billing's data over
	// the latched customer once; the requestid so no old intent is resumed.
	next := store.Link{Tenant: c.tenant, Kind: billing.KindCustomer, ID: id, RealmID: conn.RealmID,
		State: store.LinkLinked, QBOID: found.ID, SyncToken: found.SyncToken, Extra: link.Extra, Rev: link.Rev}
	if _, err := h.cfg.Store.PutLink(c.ctx(), next); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(c.w, http.StatusConflict, "conflict", "the customer is being synced right now; try again")
			return false
		}
		c.fail(h.cfg.Log, err)
		return false
	}
	// Linked now: no longer one of the imported customers to link.
	if h.cfg.Importer != nil {
		if err := h.cfg.Importer.Forget(c.ctx(), c.tenant, found.ID); err != nil {
			h.cfg.Log.WarnContext(c.ctx(), "linked customer still listed as imported", "tenant", c.tenant, "qbo_id", found.ID, "err", err)
		}
	}
	return true
}
