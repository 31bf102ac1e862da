package customerimport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/qbosync/qbosync/internal/store"
)

// Tenants lists tenants and reads their connections without tokens.
type Tenants interface {
	TenantIDs(ctx context.Context) ([]string, error)
	ConnectionStatus(ctx context.Context, tenant string) (store.Connection, error)
}

// RunDue imports the customers of every connected tenant not yet imported
// from its company: the first pass after a connect, or after a change of
// company. One tenant's failure is logged and does not stop the others.
func (im *Importer) RunDue(ctx context.Context, tenants Tenants, log *slog.Logger) error {
	ids, err := tenants.TenantIDs(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	var errs []error
	for _, id := range ids {
		conn, err := tenants.ConnectionStatus(ctx, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && (conn.Status != store.ConnConnected || conn.RealmID == "") {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		last, ok, err := im.LastImport(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok && last.RealmID == conn.RealmID {
			continue
		}
		res, err := im.Import(ctx, id)
		if err != nil {
			log.ErrorContext(ctx, "customer import failed", "tenant", id, "err", err)
			errs = append(errs, fmt.Errorf("import customers of %s: %w", id, err))
			continue
		}
		log.InfoContext(ctx, "customers imported", "tenant", id, "read", res.Read, "unlinked", res.Unlinked, "found", res.Found)
	}
	return errors.Join(errs...)
}
