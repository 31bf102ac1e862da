package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// strandedAfter: a waiting entity whose parent has been linked this long
// missed its wake-up (a lost message, or a wake-up SQS deduplicated).
const strandedAfter = 5 * time.Minute

// wakeStranded requeues waiting entities whose parent is linked in realm.
func (s *Scheduler) wakeStranded(ctx context.Context, tenant, realm string) (int, error) {
	n := 0
	err := s.store.WalkStatus(ctx, tenant, store.StatusWaiting, func(e store.EntityState) error {
		if s.now().Sub(e.UpdatedAt) < strandedAfter {
			return nil
		}
		kind, id, ok := strings.Cut(e.WaitingOn, "/")
		if !ok {
			return nil
		}
		l, err := s.store.Link(ctx, tenant, billing.Kind(kind), id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !l.Linked() || l.RealmID != realm || l.UpdatedAt.After(s.now().Add(-strandedAfter)) {
			return nil
		}
		m := queue.Message{Tenant: tenant, Kind: e.Kind, ID: e.ID, CustomerID: e.CustomerID,
			Version: e.Version, Reason: "wake", Nonce: fmt.Sprintf("stranded:%d", s.now().Unix()/3600)}
		if err := s.queue.Publish(ctx, m); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}
