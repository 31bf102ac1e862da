package webhook

import (
	"context"
	"encoding/json"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// Prefetcher is a store that can read, in one request, the items the
// webhook then reads one by one: the tenant's secrets and whether the
// event was accepted before.
type Prefetcher interface {
	Prefetch(ctx context.Context, tenant string, r record.Reads) context.Context
}

// prefetch reads the tenant and the event's record together when the
// secret source can. The event id is taken from the body before its
// signature is checked: it only names what to read, and nothing read is
// used unless the signature holds.
func (h *Handler) prefetch(ctx context.Context, tenant string, body []byte) context.Context {
	p, ok := h.secrets.(Prefetcher)
	if !ok {
		return ctx
	}
	var ev struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &ev) != nil || !billing.ValidEventID(ev.ID) {
		return ctx // refused before its id is looked up
	}
	return p.Prefetch(ctx, tenant, record.Reads{Tenant: true, Events: []string{ev.ID}})
}
