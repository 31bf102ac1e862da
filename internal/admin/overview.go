package admin

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// kindLabels name the kinds as the page shows them, top-down.
var kindLabels = map[billing.Kind]string{
	billing.KindCustomer: "Customers", billing.KindProduct: "Products", billing.KindInvoice: "Invoices",
	billing.KindPayment: "Payments", billing.KindCredit: "Credits", billing.KindChargeReversal: "Charge reversals",
	billing.KindWriteOff: "Write-offs", billing.KindRefund: "Refunds", billing.KindSale: "Sales",
}

type kindCounts struct {
	Kind         billing.Kind `json:"kind"`
	Label        string       `json:"label"`
	InBilling    int64        `json:"in_billing"`
	Synced       int64        `json:"synced"`
	Waiting      int64        `json:"waiting"`
	NotTried     int64        `json:"not_tried"`
	Warnings     int64        `json:"warnings"`
	Dismissed    int64        `json:"dismissed"`
	Skipped      int64        `json:"skipped"`
	NotConnected int64        `json:"not_connected"`
	// Notices counts the synced entities carrying a notice (renamed,
	// re-dated): in QuickBooks, but not as billing sent them.
	Notices int64 `json:"notices"`
	// Drifted synced, then changed in QuickBooks (reconciliation).
	Drifted int64 `json:"drifted"`
	// ParentMissing counts the waiting entities whose parent (customer,
	// product, invoice) billing never sent; they are not in Queued.
	ParentMissing int64 `json:"parent_missing"`
	// OldestUnsynced is the oldest of the kind's unsynced entities.
	OldestUnsynced *oldest `json:"oldest_unsynced,omitempty"`
}

type oldest struct {
	Kind       billing.Kind `json:"kind"`
	ID         string       `json:"id"`
	Status     store.Status `json:"status"`
	Since      time.Time    `json:"since"`
	AgeSeconds int64        `json:"age_seconds"`
}

type connectionView struct {
	Status           string     `json:"status"` // connected, needs_reconnect, disconnected, not_connected
	RealmID          string     `json:"realm_id,omitempty"`
	ConnectedAt      *time.Time `json:"connected_at,omitempty"`
	RefreshExpiresAt *time.Time `json:"refresh_expires_at,omitempty"`
}

type overviewView struct {
	Tenant     string         `json:"tenant"`
	Name       string         `json:"name"`
	Connection connectionView `json:"connection"`
	LastSyncAt *time.Time     `json:"last_sync_at,omitempty"`
	// Queued is what the sync still has to do: not tried and waiting,
	// less what waits for a parent billing never sent.
	Queued        int64 `json:"queued"`
	Warnings      int64 `json:"warnings"`
	Notices       int64 `json:"notices"`
	ParentMissing int64 `json:"parent_missing"`
	// OldestUnsynced is the tenant's freshness: the entity unsynced the
	// longest, over every kind.
	OldestUnsynced *oldest      `json:"oldest_unsynced,omitempty"`
	Kinds          []kindCounts `json:"kinds"`
	// Readiness is the last check of the QuickBooks company, if any.
	Readiness   *store.Readiness `json:"readiness,omitempty"`
	GeneratedAt time.Time        `json:"generated_at"`
}

func (h *Handler) overview(c *call) {
	ctx := c.ctx()
	t, err := h.cfg.Store.Tenant(ctx, c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	counts, err := h.cfg.Store.Counts(ctx, c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	conn, err := h.connectionView(ctx, c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	now := h.cfg.Now()
	v := overviewView{Tenant: t.ID, Name: t.Name, Connection: conn, GeneratedAt: now.UTC()}
	switch rd, err := h.cfg.Store.Readiness(ctx, c.tenant); {
	case err == nil:
		v.Readiness = &rd
	case !errors.Is(err, store.ErrNotFound):
		c.fail(h.cfg.Log, err)
		return
	}
	if !t.LastSyncAt.IsZero() {
		at := t.LastSyncAt.UTC()
		v.LastSyncAt = &at
	}
	olds, err := h.oldest(ctx, c.tenant, counts, now)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	var missing map[billing.Kind]int64
	if waiting := countOf(counts, store.StatusWaiting); waiting > 0 {
		if missing, err = h.waitingOnMissing(ctx, c.tenant); err != nil {
			c.fail(h.cfg.Log, err)
			return
		}
	}
	for _, k := range billing.Kinds {
		m := counts[k]
		kc := kindCounts{Kind: k, Label: kindLabels[k], InBilling: counts.Total(k),
			Synced: m[store.StatusSynced], Waiting: m[store.StatusWaiting], NotTried: m[store.StatusNotTried],
			Warnings: m[store.StatusWarning], Dismissed: m[store.StatusDismissed], Skipped: m[store.StatusSkipped],
			NotConnected: m[store.StatusNotConnected], Notices: counts.Notices(k), Drifted: m[store.StatusDrifted], OldestUnsynced: olds[k]}
		kc.ParentMissing = missing[k]
		v.Queued += kc.NotTried + kc.Waiting - kc.ParentMissing
		v.ParentMissing += kc.ParentMissing
		v.Warnings += kc.Warnings
		v.Notices += kc.Notices
		if o := olds[k]; o != nil && (v.OldestUnsynced == nil || o.Since.Before(v.OldestUnsynced.Since)) {
			v.OldestUnsynced = o
		}
		v.Kinds = append(v.Kinds, kc)
	}
	apijson.WriteJSON(c.w, http.StatusOK, v)
}

func (h *Handler) connectionView(ctx context.Context, tenant string) (connectionView, error) {
	conn, err := h.cfg.Store.Connection(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return connectionView{Status: "not_connected"}, nil
	}
	if err != nil {
		return connectionView{}, err
	}
	v := connectionView{Status: conn.Status, RealmID: conn.RealmID}
	if !conn.ConnectedAt.IsZero() {
		at := conn.ConnectedAt.UTC()
		v.ConnectedAt = &at
	}
	if !conn.RefreshExpiresAt.IsZero() {
		at := conn.RefreshExpiresAt.UTC()
		v.RefreshExpiresAt = &at
	}
	return v, nil
}

// oldest finds each kind's oldest unsynced entity. Only (kind, status)
// pairs whose counter is not zero are read, each with one Limit 1 query
// on the status index, so the cost does not grow with the entities.
func (h *Handler) oldest(ctx context.Context, tenant string, counts store.Counts, now time.Time) (map[billing.Kind]*oldest, error) {
	type pair struct {
		kind billing.Kind
		st   store.Status
	}
	var pairs []pair
	for _, k := range billing.Kinds {
		for _, st := range store.Statuses {
			if st.Unsynced() && counts[k][st] > 0 {
				pairs = append(pairs, pair{k, st})
			}
		}
	}
	out := map[billing.Kind]*oldest{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(pairs))
	for i, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, ok, err := h.cfg.Store.Oldest(ctx, tenant, p.kind, p.st)
			if err != nil || !ok {
				errs[i] = err
				return
			}
			// The status index is eventually consistent: confirm the
			// entity is still unsynced before calling it the oldest.
			cur, err := h.cfg.Store.EntityRecord(ctx, tenant, rec.Kind, rec.ID)
			if err != nil || !cur.Status.Unsynced() {
				if !errors.Is(err, store.ErrNotFound) {
					errs[i] = err
				}
				return
			}
			rec = cur
			mu.Lock()
			defer mu.Unlock()
			if cur := out[p.kind]; cur == nil || rec.Since.Before(cur.Since) {
				out[p.kind] = &oldest{Kind: p.kind, ID: rec.ID, Status: rec.Status, Since: rec.Since.UTC(),
					AgeSeconds: int64(now.Sub(rec.Since).Seconds())}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func countOf(c store.Counts, st store.Status) int64 {
	var n int64
	for _, m := range c {
		n += m[st]
	}
	return n
}
