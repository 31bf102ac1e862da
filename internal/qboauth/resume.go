package qboauth

import (
	"context"
	"fmt"

	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// Resume queues again what a missing or broken connection parked: every
// not_tried entity and every retryable warning. With all, synced entities
// and the other warnings are sent too (after links were forgotten, so each
// re-latches to its QBO object). It returns how many were queued.
func (c *Connector) Resume(ctx context.Context, tenant string, all bool) (int, error) {
	if c.queue == nil {
		return 0, fmt.Errorf("resume %s: no queue", tenant)
	}
	statuses := []store.Status{store.StatusNotTried, store.StatusWarning}
	if all {
		statuses = append(statuses, store.StatusSynced, store.StatusWaiting)
	}
	nonce := fmt.Sprintf("resume:%d", c.cfg.Now().UnixNano())
	n := 0
	for _, st := range statuses {
		ents, err := c.store.EntitiesByStatus(ctx, tenant, st, "")
		if err != nil {
			return n, err
		}
		for _, e := range ents {
			if st == store.StatusWarning && !all && (e.Warning == nil || !e.Warning.Retryable) {
				continue // waits for an admin's fix and resend
			}
			m := queue.Message{Tenant: tenant, Kind: e.Kind, ID: e.ID, CustomerID: e.CustomerID,
				Version: e.Version, Reason: "retry", Nonce: nonce}
			if err := c.queue.Publish(ctx, m); err != nil {
				return n, fmt.Errorf("requeue %s/%s: %w", e.Kind, e.ID, err)
			}
			n++
		}
	}
	return n, nil
}
