package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// maxParentDepth bounds the walk up a customer's parents; QuickBooks
// itself allows five levels of sub-customers.
const maxParentDepth = 32

// checkParentCycle refuses a customer whose chain of parents comes back
// to it: each would wait for the other forever. The customer stays a
// dependent of its parent, so breaking the cycle in billing wakes it, and
// a member of the cycle still waiting is woken to get the warning too.
func (r *run) checkParentCycle(ctx context.Context, ent billing.Entity) error {
	c, ok := ent.(*billing.Customer)
	if !ok || c.ParentID == "" {
		return nil
	}
	path, err := r.parentChain(ctx, c)
	if err != nil || path == nil {
		return err
	}
	parent := billing.Ref{Kind: billing.KindCustomer, ID: c.ParentID}
	self := record.Dependent{Kind: billing.KindCustomer, ID: c.ID, CustomerID: r.st.CustomerID}
	if _, err := r.e.cfg.Store.AddDependent(ctx, r.st.Tenant, parent, self); err != nil && !errors.Is(err, record.ErrNotFound) {
		return err
	}
	if waiting, err := r.othersWaiting(ctx, path); err != nil {
		return err
	} else if waiting {
		if err := r.e.wake(ctx, r.st, record.Link{}); err != nil {
			return err
		}
	}
	return &PermanentError{Reason: fmt.Sprintf("Parent cycle: customer %s; each waits for the other to reach QuickBooks. "+
		"A sub-customer's parents must end at a customer without a parent: correct parent_id in billing.", strings.Join(path, " → "))}
}

// parentChain returns c's chain of parents ending back at c (c → … → c),
// or nil when it ends, at a customer without a parent or one not received.
func (r *run) parentChain(ctx context.Context, c *billing.Customer) ([]string, error) {
	path := []string{c.ID}
	for id := c.ParentID; id != ""; {
		path = append(path, id)
		if id == c.ID {
			return path, nil
		}
		if len(path) > maxParentDepth {
			return nil, nil
		}
		st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, billing.KindCustomer, id)
		if errors.Is(err, record.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load parent %s: %w", id, err)
		}
		p, err := billing.Decode(billing.KindCustomer, st.Data)
		if err != nil {
			return nil, nil // an unreadable parent gets its own warning
		}
		id = p.(*billing.Customer).ParentID
	}
	return nil, nil
}

// othersWaiting reports whether a member of the cycle other than the
// first still shows "waiting".
func (r *run) othersWaiting(ctx context.Context, path []string) (bool, error) {
	for _, id := range path[1 : len(path)-1] {
		st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, billing.KindCustomer, id)
		if err != nil {
			return false, fmt.Errorf("load %s: %w", id, err)
		}
		if st.Status == record.StatusWaiting {
			return true, nil
		}
	}
	return false, nil
}
