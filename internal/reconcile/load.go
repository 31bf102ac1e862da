package reconcile

import (
	"context"
	"encoding/json"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// refresh brings the stored QuickBooks objects up to date: in full on the
// first run, for another company, or past CDC's window; else by CDC.
func (r *Reconciler) refresh(ctx context.Context, tenant string, conn store.Connection, prev store.Reconciliation,
	start time.Time) (calls int, full bool, changed int, err error) {
	counted := 0
	hc := *r.HTTPClient
	api := qbo.New(qbo.WithToken(&hc, conn.AccessToken), r.QBOBaseURL,
		qbo.WithObserver(func(string, int, time.Duration) { counted++ }))
	full = prev.Watermark.IsZero() || prev.Realm != conn.RealmID || start.Sub(prev.Watermark) > cdcWindow
	var read map[string][]txn
	if full {
		if err := r.Store.ForgetQBOObjects(ctx, tenant); err != nil {
			return 0, full, 0, err
		}
		read, err = readAll(ctx, api, conn.RealmID)
	} else {
		read, _, err = readChanges(ctx, api, conn.RealmID, prev.Watermark)
	}
	if err != nil {
		return counted, full, 0, err
	}
	changed, err = r.store(ctx, tenant, read)
	return counted, full, changed, err
}

// store writes what was read over the stored objects.
func (r *Reconciler) store(ctx context.Context, tenant string, read map[string][]txn) (int, error) {
	have, err := r.Store.QBOObjects(ctx, tenant)
	if err != nil {
		return 0, err
	}
	prev := map[string]store.QBOObject{}
	for _, o := range have {
		prev[objKey(o.Entity, o.QBOID)] = o
	}
	home, err := r.homeCurrency(ctx, tenant)
	if err != nil {
		return 0, err
	}
	n := 0
	for entity, rows := range read {
		for _, row := range rows {
			o, err := object(entity, row, prev[objKey(entity, row.ID)], home)
			if err != nil {
				return n, err
			}
			o.UpdatedAt = r.now().UTC()
			if err := r.Store.PutQBOObject(ctx, tenant, o); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// homeCurrency is the currency most of billing's customers use: what
// QuickBooks amounts without a CurrencyRef are in (a company without
// multicurrency has one currency, its customers').
func (r *Reconciler) homeCurrency(ctx context.Context, tenant string) (string, error) {
	cs, err := r.Store.Entities(ctx, tenant, billing.KindCustomer)
	if err != nil {
		return "", err
	}
	n := map[string]int{}
	home := "USD"
	for _, c := range cs {
		var v struct {
			Currency string `json:"currency"`
		}
		if json.Unmarshal(c.Data, &v) == nil && v.Currency != "" {
			n[v.Currency]++
			if n[v.Currency] > n[home] {
				home = v.Currency
			}
		}
	}
	return home, nil
}

// books loads billing's entities, the links and the stored objects.
func (r *Reconciler) books(ctx context.Context, tenant string) (books, error) {
	var states []store.EntityState
	for _, k := range billing.Kinds {
		es, err := r.Store.Entities(ctx, tenant, k)
		if err != nil {
			return books{}, err
		}
		states = append(states, es...)
	}
	l, err := buildLedger(states)
	if err != nil {
		return books{}, err
	}
	b := books{ledger: l, links: map[billing.Ref]store.Link{}, objects: map[string]store.QBOObject{}}
	links, err := r.Store.Links(ctx, tenant)
	if err != nil {
		return books{}, err
	}
	for _, lk := range links {
		b.links[billing.Ref{Kind: lk.Kind, ID: lk.ID}] = lk
	}
	objs, err := r.Store.QBOObjects(ctx, tenant)
	if err != nil {
		return books{}, err
	}
	for _, o := range objs {
		b.objects[objKey(o.Entity, o.QBOID)] = o
	}
	return b, nil
}
