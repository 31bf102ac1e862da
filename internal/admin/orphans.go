package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// maxWaitingChecked bounds how many waiting entities one overview checks
// for a parent billing never sent; past it the count is a lower bound.
const maxWaitingChecked = 500

// parents remembers, within one request, which parents billing sent.
type parents map[string]bool

// missing reports whether the parent named "kind/id" was never sent by
// billing: the entity waiting on it will not sync until billing sends it.
func (p parents) missing(ctx context.Context, st Store, tenant, waitingOn string) (bool, error) {
	kind, id, ok := strings.Cut(waitingOn, "/")
	if !ok {
		return false, nil
	}
	if sent, ok := p[waitingOn]; ok {
		return !sent, nil
	}
	_, err := st.EntityRecord(ctx, tenant, billing.Kind(kind), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p[waitingOn] = false
	case err != nil:
		return false, err
	default:
		p[waitingOn] = true
	}
	return !p[waitingOn], nil
}

// waitingOnMissing counts, per kind, the waiting entities whose parent
// billing never sent.
func (h *Handler) waitingOnMissing(ctx context.Context, tenant string) (map[billing.Kind]int64, error) {
	out := map[billing.Kind]int64{}
	seen := parents{}
	cursor, checked := "", 0
	for checked < maxWaitingChecked {
		page, next, err := h.cfg.Store.ListEntities(ctx, tenant, store.ListQuery{Status: store.StatusWaiting, Limit: 100, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			checked++
			miss, err := seen.missing(ctx, h.cfg.Store, tenant, r.WaitingOn)
			if err != nil {
				return nil, err
			}
			if miss {
				out[r.Kind]++
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return out, nil
}
