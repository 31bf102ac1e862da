package syncer

import (
	"context"
	"errors"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// mapProduct maps a billing product to a QBO Service item whose income
// account is the tenant's revenue ledger.
func mapProduct(p *billing.Product, revenueAccountID string, deleted bool) qbo.Item {
	return qbo.Item{
		Name:             qboName(p.Name),
		Type:             "Service",
		IncomeAccountRef: ref(revenueAccountID),
		Description:      p.Description,
		Sku:              p.SKU,
		Active:           qbo.Bool(p.Active && !deleted),
	}
}

func (r *run) syncProduct(ctx context.Context, p *billing.Product) (record.Link, error) {
	deleted := r.st.Action == "deleted"
	find := func(ctx context.Context) (qbo.Item, bool, error) { return r.findItem(ctx, qboName(p.Name), deleted) }
	t := target[qbo.Item]{
		payload: mapProduct(p, r.tenant.Settings.RevenueAccountID, deleted),
		find:    find,
		// An item of the same name already in QBO is the product's item
		// (item names are unique there): latch onto it.
		create: func(ctx context.Context, v qbo.Item, reqID string) (qbo.Item, error) {
			created, err := qbo.Create(ctx, r.qbo, r.conn.RealmID, v, reqID)
			var qe *qbo.Error
			if errors.As(err, &qe) && qe.DuplicateName() {
				if found, ok, ferr := find(ctx); ferr != nil || ok {
					return found, ferr
				}
			}
			return created, err
		},
	}
	return upsert(ctx, r, t)
}

// findItem looks for the item of a product by name, active or not. Once
// made inactive QuickBooks calls it "<name> (deleted)", and a new item may
// have taken the name since: a deleted product prefers the inactive one.
func (r *run) findItem(ctx context.Context, name string, deleted bool) (qbo.Item, bool, error) {
	items, err := qbo.Query[qbo.Item](ctx, r.qbo, r.conn.RealmID,
		"select * from Item where "+qbo.NameIn("Name", name)+" and Active in (true, false)")
	if err != nil || len(items) == 0 {
		return qbo.Item{}, false, err
	}
	for _, it := range items {
		if (it.Active != nil && !*it.Active) == deleted {
			return it, true, nil
		}
	}
	return items[0], true, nil
}

// findOne returns the first object stmt finds.
func findOne[T qbo.Entity](ctx context.Context, r *run, stmt string) (T, bool, error) {
	found, err := qbo.Query[T](ctx, r.qbo, r.conn.RealmID, stmt)
	if err != nil || len(found) == 0 {
		var zero T
		return zero, false, err
	}
	return found[0], true, nil
}
