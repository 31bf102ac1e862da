package reconcile

import (
	"context"
	"errors"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// mark sets drifted on every synced entity with drift and puts back to
// synced those whose drift is gone. Dismissed entities stay dismissed:
// an admin accepted QuickBooks' version.
func (r *Reconciler) mark(ctx context.Context, tenant string, drift []store.Drift) error {
	by := map[billing.Ref][]store.Drift{}
	for _, d := range drift {
		if d.Field == fieldBalance {
			continue
		}
		ref := billing.Ref{Kind: d.Kind, ID: d.ID}
		by[ref] = append(by[ref], d)
	}
	for ref, ds := range by {
		err := r.Store.MarkDrifted(ctx, tenant, ref.Kind, ref.ID, warning(ds))
		if err != nil && !errors.Is(err, store.ErrWrongStatus) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	drifted, err := r.Store.EntitiesByStatus(ctx, tenant, store.StatusDrifted, "")
	if err != nil {
		return err
	}
	for _, e := range drifted {
		if _, ok := by[billing.Ref{Kind: e.Kind, ID: e.ID}]; ok {
			continue
		}
		if err := r.Store.ClearDrift(ctx, tenant, e.Kind, e.ID); err != nil && !errors.Is(err, store.ErrWrongStatus) {
			return err
		}
	}
	return nil
}

// keepDetected keeps the first detection time of drift seen before.
func keepDetected(now, before []store.Drift, at time.Time) []store.Drift {
	seen := map[string]time.Time{}
	for _, d := range before {
		seen[string(d.Kind)+"/"+d.ID+"/"+d.Field] = d.DetectedAt
	}
	for i := range now {
		now[i].DetectedAt = at
		if t, ok := seen[string(now[i].Kind)+"/"+now[i].ID+"/"+now[i].Field]; ok {
			now[i].DetectedAt = t
		}
	}
	if now == nil {
		return []store.Drift{}
	}
	return now
}
