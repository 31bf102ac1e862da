package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

type warningView struct {
	Code      string `json:"code,omitempty"`
	Message   string `json:"message"`
	Detail    string `json:"detail,omitempty"`
	Element   string `json:"element,omitempty"`
	IntuitTID string `json:"intuit_tid,omitempty"`
	Retryable bool   `json:"retryable"`
	// Notice: synced, but not as sent; nothing to retry.
	Notice bool `json:"notice,omitempty"`
	// Cause and Fix explain QBO's reason in plain language.
	Cause string `json:"cause,omitempty"`
	Fix   string `json:"fix,omitempty"`
}

func viewWarning(w *store.Warning) *warningView {
	if w == nil {
		return nil
	}
	ex := Explain(*w)
	return &warningView{Code: w.Code, Message: w.Message, Detail: w.Detail, Element: w.Element,
		IntuitTID: w.IntuitTID, Retryable: w.Retryable, Notice: w.Notice, Cause: ex.Cause, Fix: ex.Fix}
}

type refView struct {
	Kind billing.Kind `json:"kind"`
	ID   string       `json:"id"`
}

// blocksView is what waits for an entity: shown under it, not as errors.
type blocksView struct {
	Count    int            `json:"count"`
	More     bool           `json:"more"`
	ByKind   map[string]int `json:"by_kind"`
	Entities []refView      `json:"entities,omitempty"`
}

type entityRow struct {
	Kind       billing.Kind     `json:"kind"`
	ID         string           `json:"id"`
	CustomerID string           `json:"customer_id,omitempty"`
	Version    int64            `json:"version"`
	Status     store.Status     `json:"status"`
	Since      time.Time        `json:"since"`
	UpdatedAt  time.Time        `json:"updated_at"`
	Attempts   int              `json:"attempts"`
	Warning    *warningView     `json:"warning,omitempty"`
	WaitingOn  *refView         `json:"waiting_on,omitempty"`
	Dismissal  *store.Dismissal `json:"dismissal,omitempty"`
	Blocks     *blocksView      `json:"blocks,omitempty"`
	Summary    *summaryView     `json:"summary,omitempty"`
	// ParentMissing: the parent waited on was never sent by billing.
	ParentMissing bool `json:"parent_missing,omitempty"`
}

func row(r store.EntityRecord) entityRow {
	out := entityRow{Kind: r.Kind, ID: r.ID, CustomerID: r.CustomerID, Version: r.Version, Status: r.Status,
		Since: r.Since.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Attempts: r.Attempts, Warning: viewWarning(r.Warning),
		Dismissal: r.Dismissal}
	if kind, id, ok := strings.Cut(r.WaitingOn, "/"); ok {
		out.WaitingOn = &refView{Kind: billing.Kind(kind), ID: id}
	}
	return out
}

// parentKinds are the kinds others can wait for.
var parentKinds = map[billing.Kind]bool{billing.KindCustomer: true, billing.KindProduct: true,
	billing.KindInvoice: true, billing.KindPayment: true}

// blocks reads up to limit of the entities waiting for ref.
func (h *Handler) blocks(ctx context.Context, tenant string, ref billing.Ref, limit int, list bool) (*blocksView, error) {
	if !parentKinds[ref.Kind] {
		return nil, nil
	}
	deps, more, err := h.cfg.Store.DependentsPage(ctx, tenant, ref, limit)
	if err != nil || len(deps) == 0 {
		return nil, err
	}
	v := &blocksView{Count: len(deps), More: more, ByKind: map[string]int{}}
	for _, d := range deps {
		v.ByKind[string(d.Kind)]++
		if list {
			v.Entities = append(v.Entities, refView{Kind: d.Kind, ID: d.ID})
		}
	}
	return v, nil
}

const (
	defaultPage = 50
	maxPage     = 200
	// listBlocksLimit bounds the dependents read per row of a list.
	listBlocksLimit = 100
)

func (h *Handler) list(c *call) {
	q := c.r.URL.Query()
	lq := store.ListQuery{Status: store.Status(q.Get("status")), Kind: billing.Kind(q.Get("kind")), Cursor: q.Get("cursor"), Limit: defaultPage}
	if lq.Status == "" {
		lq.Status = store.StatusWarning
	}
	var problems []apijson.Problem
	if !validStatus(lq.Status) {
		problems = append(problems, apijson.Problem{Field: "status", Message: "status must be one of " + statusList()})
	}
	if lq.Kind != "" && !lq.Kind.Valid() {
		problems = append(problems, apijson.Problem{Field: "kind", Message: "unknown kind " + strconv.Quote(string(lq.Kind))})
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			problems = append(problems, apijson.Problem{Field: "limit", Message: "limit must be 1 to " + strconv.Itoa(maxPage)})
		}
		lq.Limit = n
	}
	if s := q.Get("since"); s != "" {
		t, err := parseSince(s)
		if err != nil || lq.Kind == "" {
			problems = append(problems, apijson.Problem{Field: "since", Message: "since must be a date (YYYY-MM-DD) or RFC 3339 time, with kind"})
		}
		lq.Since = t
	}
	if len(problems) > 0 {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "invalid_query",
			Message: problems[0].Message, Problems: problems})
		return
	}
	page, next, err := h.cfg.Store.ListEntities(c.ctx(), c.tenant, lq)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	rows := make([]entityRow, 0, len(page))
	names, sent := customerNames{}, parents{}
	for _, r := range page {
		er := row(r)
		if r.Status == store.StatusWaiting {
			if er.ParentMissing, err = sent.missing(c.ctx(), h.cfg.Store, c.tenant, r.WaitingOn); err != nil {
				c.fail(h.cfg.Log, err)
				return
			}
		}
		if er.Summary, err = h.summarize(c.ctx(), c.tenant, r, names); err != nil {
			c.fail(h.cfg.Log, err)
			return
		}
		if r.Status == store.StatusWarning || r.Status == store.StatusNotConnected || r.Status == store.StatusDismissed {
			if er.Blocks, err = h.blocks(c.ctx(), c.tenant, billing.Ref{Kind: r.Kind, ID: r.ID}, listBlocksLimit, false); err != nil {
				c.fail(h.cfg.Log, err)
				return
			}
		}
		rows = append(rows, er)
	}
	apijson.WriteJSON(c.w, http.StatusOK, map[string]any{"entities": rows, "next_cursor": next})
}

type qboView struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	URL           string          `json:"url"`
	State         store.LinkState `json:"state"`
	RealmID       string          `json:"realm_id"`
	SyncToken     string          `json:"sync_token,omitempty"`
	SyncedVersion int64           `json:"synced_version"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

type detailView struct {
	entityRow
	Action             string                    `json:"action"`
	EventID            string                    `json:"event_id"`
	OccurredAt         time.Time                 `json:"occurred_at"`
	ReceivedAt         time.Time                 `json:"received_at"`
	Snapshot           json.RawMessage           `json:"snapshot"`
	QBO                *qboView                  `json:"qbo,omitempty"`
	History            []store.HistoryEntry      `json:"history"`
	CustomerConnection *store.CustomerConnection `json:"customer_connection,omitempty"`
}

// detailBlocksLimit bounds the dependents listed under an entity.
const detailBlocksLimit = 200

func (h *Handler) detail(c *call) {
	kind, id, ok := c.entityRef()
	if !ok {
		return
	}
	ctx := c.ctx()
	rec, err := h.cfg.Store.EntityRecord(ctx, c.tenant, kind, id)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	v := detailView{entityRow: row(rec), Action: rec.Action, EventID: rec.EventID,
		OccurredAt: rec.OccurredAt.UTC(), ReceivedAt: rec.ReceivedAt.UTC(), Snapshot: rec.Data}
	if !json.Valid(v.Snapshot) {
		v.Snapshot = json.RawMessage("null")
	}
	if v.Summary, err = h.summarize(ctx, c.tenant, rec, customerNames{}); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if rec.Status == store.StatusWaiting {
		if v.ParentMissing, err = (parents{}).missing(ctx, h.cfg.Store, c.tenant, rec.WaitingOn); err != nil {
			c.fail(h.cfg.Log, err)
			return
		}
	}
	if v.Blocks, err = h.blocks(ctx, c.tenant, billing.Ref{Kind: kind, ID: id}, detailBlocksLimit, true); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	link, err := h.cfg.Store.Link(ctx, c.tenant, kind, id)
	switch {
	case err == nil && link.QBOID != "":
		typ, u := h.qboLink(qboPageOf(kind, rec.Data), link.QBOID, link.RealmID)
		v.QBO = &qboView{ID: link.QBOID, Type: typ, URL: u, State: link.State, RealmID: link.RealmID,
			SyncToken: link.SyncToken, SyncedVersion: link.SyncedVersion, UpdatedAt: link.UpdatedAt.UTC()}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		c.fail(h.cfg.Log, err)
		return
	}
	if v.History, err = h.cfg.Store.History(ctx, c.tenant, kind, id, 50); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if kind == billing.KindCustomer {
		cc, err := h.cfg.Store.CustomerConnection(ctx, c.tenant, id)
		if err == nil {
			v.CustomerConnection = &cc
		} else if !errors.Is(err, store.ErrNotFound) {
			c.fail(h.cfg.Log, err)
			return
		}
	}
	apijson.WriteJSON(c.w, http.StatusOK, v)
}

// qboPage is a QuickBooks object type, its web-app page and the page's
// id parameter.
type qboPage struct{ typ, page, param string }

// qboPages are the QuickBooks object and web-app page of each kind.
var qboPages = map[billing.Kind]qboPage{
	billing.KindCustomer:       {"Customer", "customerdetail", "nameId"},
	billing.KindProduct:        {"Item", "items", ""},
	billing.KindInvoice:        {"Invoice", "invoice", "txnId"},
	billing.KindPayment:        {"Payment", "recvpayment", "txnId"},
	billing.KindCredit:         {"CreditMemo", "creditmemo", "txnId"},
	billing.KindChargeReversal: {"CreditMemo", "creditmemo", "txnId"},
	billing.KindWriteOff:       {"CreditMemo", "creditmemo", "txnId"},
	billing.KindRefund:         {"JournalEntry", "journal", "txnId"},
	billing.KindSale:           {"SalesReceipt", "salesreceipt", "txnId"},
}

// refundReceiptPage is where a refund of a sale is: a refund receipt.
var refundReceiptPage = qboPage{"RefundReceipt", "refundreceipt", "txnId"}

// qboPageOf returns the QuickBooks page of an entity of kind whose
// snapshot is data: a refund of a sale is a refund receipt, not the
// journal entry a refund of a payment is.
func qboPageOf(kind billing.Kind, data json.RawMessage) qboPage {
	if kind == billing.KindRefund {
		var f struct {
			SaleID string `json:"sale_id"`
		}
		if json.Unmarshal(data, &f) == nil && f.SaleID != "" {
			return refundReceiptPage
		}
	}
	return qboPages[kind]
}

// qboLink returns the QBO object type of page p and the web-app URL that
// opens object id (the item list for products, which have no page of their
// own). On the simulator it is the simulator's own page of the object.
func (h *Handler) qboLink(p qboPage, id, realm string) (string, string) {
	base := strings.TrimRight(h.cfg.QBOAppURL, "/")
	if !strings.Contains(base, "intuit.com") {
		return p.typ, base + "/_sim/companies/" + url.PathEscape(realm) + "/app/" + p.typ + "/" + url.PathEscape(id)
	}
	u := base + "/app/" + p.page
	if p.param != "" {
		u += "?" + p.param + "=" + url.QueryEscape(id)
	}
	return p.typ, u
}

// AppURL returns the QuickBooks web app that matches an Accounting API
// base URL: production for Intuit's production API, the sandbox for
// Intuit's sandbox, and the simulator itself for any other host (its
// object pages live under /_sim/companies/{realm}/app/).
func AppURL(apiBase string) string {
	switch {
	case strings.Contains(apiBase, "://quickbooks.api.intuit.com"):
		return "https://app.qbo.intuit.com"
	case strings.Contains(apiBase, "intuit.com"):
		return "https://app.sandbox.qbo.intuit.com"
	}
	return strings.TrimRight(apiBase, "/")
}

func validStatus(st store.Status) bool {
	for _, s := range store.Statuses {
		if s == st {
			return true
		}
	}
	return false
}

func statusList() string {
	var parts []string
	for _, s := range store.Statuses {
		parts = append(parts, string(s))
	}
	return strings.Join(parts, ", ")
}

// parseSince reads a date (midnight UTC) or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func (h *Handler) audit(c *call) {
	log, err := h.cfg.Store.AuditLog(c.ctx(), c.tenant, 100)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	apijson.WriteJSON(c.w, http.StatusOK, map[string]any{"entries": log})
}
