package syncer

import (
	"context"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// Prefetcher is a Store that can read, in one request, the items a sync
// is about to read one by one. The returned context carries them, each
// for its first read; a store without it reads each item as asked.
type Prefetcher interface {
	Prefetch(ctx context.Context, tenant string, r record.Reads) context.Context
}

// prefetch asks the store for what a sync of st reads on its common
// path: the tenant, its connection, the entity's own link and its
// parents', and its customer's snapshot and connection.
func (e *Engine) prefetch(ctx context.Context, st record.EntityState) context.Context {
	p, ok := e.cfg.Store.(Prefetcher)
	if !ok {
		return ctx
	}
	ent, err := billing.Decode(st.Kind, st.Data)
	if err != nil {
		return ctx // the sync refuses it without reading further
	}
	r := record.Reads{Tenant: true, Connection: true,
		Links: append(ent.Refs(), billing.Ref{Kind: st.Kind, ID: st.ID})}
	if c := ent.CustomerRef(); c != "" {
		r.Entities = []billing.Ref{{Kind: billing.KindCustomer, ID: c}}
		r.CustomerConnections = []string{c}
	}
	if st.Kind == billing.KindCustomer {
		r.CustomerConnections = []string{st.ID}
	}
	return p.Prefetch(ctx, st.Tenant, r)
}
