package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// directionGuard says why the payments direction may not change from
// prev to next, "" when it may. The two directions are exclusive: one
// would record in QuickBooks, the other in billing, what the other side
// already recorded.
func (h *Handler) directionGuard(ctx context.Context, tenant string, prev, next store.Settings) (string, error) {
	from, to := direction(prev), direction(next)
	if from == to {
		return "", nil
	}
	if to == store.PaymentsFromQuickBooks {
		counts, err := h.cfg.Store.Counts(ctx, tenant)
		if err != nil {
			return "", err
		}
		return exportedPayments(counts[billing.KindPayment]), nil
	}
	imported, err := h.cfg.Store.HasImportedPayments(ctx, tenant)
	if err != nil || !imported {
		return "", err
	}
	return "payments recorded in QuickBooks were already sent to billing: with to_quickbooks, billing's copies of them " +
		"would be synced to QuickBooks and recorded there twice. Payments stay from_quickbooks for this account.", nil
}

// exportedPayments says which billing payments went, or are on their way,
// to QuickBooks: importing from QuickBooks would send them back to billing.
func exportedPayments(byStatus map[store.Status]int64) string {
	var parts []string
	var n int64
	for _, st := range []store.Status{store.StatusSynced, store.StatusDrifted, store.StatusDismissed,
		store.StatusNotTried, store.StatusWaiting, store.StatusWarning, store.StatusNotConnected} {
		if c := byStatus[st]; c > 0 {
			n += c
			parts = append(parts, fmt.Sprintf("%d %s", c, strings.ReplaceAll(string(st), "_", " ")))
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d billing payments are synced or on their way to QuickBooks (%s): with from_quickbooks they would "+
		"also come back to billing from QuickBooks. Switch before any payment is synced, in a new account.", n, strings.Join(parts, ", "))
}

// startImports sets the watermark of the hourly sweep of payments
// recorded in QuickBooks when the direction becomes from_quickbooks:
// payments are imported from that moment, none older.
func (h *Handler) startImports(ctx context.Context, tenant string, prev, next store.Settings) error {
	if direction(prev) == direction(next) || !next.PaymentsFromQuickBooks() {
		return nil
	}
	conn, err := h.cfg.Store.Connection(ctx, tenant)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return h.cfg.Store.SavePaymentWatermark(ctx, tenant, store.PaymentWatermark{RealmID: conn.RealmID, Since: h.cfg.Now().UTC()})
}

func direction(s store.Settings) string {
	if s.PaymentsDirection == "" {
		return store.PaymentsToQuickBooks
	}
	return s.PaymentsDirection
}
