package syncer

import (
	"context"
	"slices"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/record"
)

// Prefetcher is a Store that can read, in one request, the items a sync
// is about to read one by one. The returned context carries them, each
// for its first read; prefetching again adds to what it carries. A store
// without it reads each item as asked.
type Prefetcher interface {
	Prefetch(ctx context.Context, tenant string, r record.Reads) context.Context
}

// prefetchMessage asks for what a sync of m reads on its common path,
// as far as the message names it: the entity, the tenant and its
// connection, the entity's link, its customer's link, snapshot and
// connection, and the parents' links the sender named.
func (e *Engine) prefetchMessage(ctx context.Context, m change.Message) context.Context {
	p, ok := e.cfg.Store.(Prefetcher)
	if !ok {
		return ctx
	}
	self := billing.Ref{Kind: m.Kind, ID: m.ID}
	r := record.Reads{Tenant: true, Connection: true, Entities: []billing.Ref{self},
		Links: append([]billing.Ref{self}, m.ParentRefs()...)}
	switch {
	case m.Kind == billing.KindCustomer:
		r.CustomerConnections = []string{m.ID}
	case m.CustomerID != "":
		cust := billing.Ref{Kind: billing.KindCustomer, ID: m.CustomerID}
		r.Links = append(r.Links, cust)
		r.Entities = append(r.Entities, cust)
		r.CustomerConnections = []string{m.CustomerID}
	}
	return p.Prefetch(ctx, m.Tenant, r)
}

// prefetchParents asks for the parents' links of the stored snapshot
// that the message did not name (a wake-up names none, a newer version
// may name others).
func (e *Engine) prefetchParents(ctx context.Context, m change.Message, st record.EntityState) context.Context {
	p, ok := e.cfg.Store.(Prefetcher)
	if !ok {
		return ctx
	}
	ent, err := billing.Decode(st.Kind, st.Data)
	if err != nil {
		return ctx // the sync refuses it without reading further
	}
	named := m.ParentRefs()
	if m.CustomerID != "" {
		named = append(named, billing.Ref{Kind: billing.KindCustomer, ID: m.CustomerID})
	}
	var r record.Reads
	for _, ref := range ent.Refs() {
		if !slices.Contains(named, ref) {
			r.Links = append(r.Links, ref)
		}
	}
	if c := ent.CustomerRef(); c != "" && c != m.CustomerID {
		r.Entities = []billing.Ref{{Kind: billing.KindCustomer, ID: c}}
		r.CustomerConnections = []string{c}
	}
	if len(r.Links) == 0 && len(r.Entities) == 0 {
		return ctx
	}
	return p.Prefetch(ctx, st.Tenant, r)
}
