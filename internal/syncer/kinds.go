package syncer

import (
	"context"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// syncKind hands the entity to its kind's syncer.
func (r *run) syncKind(ctx context.Context, ent billing.Entity) (store.Link, error) {
	switch v := ent.(type) {
	case *billing.Customer:
		return r.syncCustomer(ctx, v)
	case *billing.Product:
		return r.syncProduct(ctx, v)
	case *billing.Invoice:
		return r.syncInvoice(ctx, v)
	case *billing.Payment:
		return r.syncPayment(ctx, v)
	case *billing.Credit:
		return r.syncCredit(ctx, v)
	case *billing.ChargeReversal:
		return r.syncChargeReversal(ctx, v)
	case *billing.WriteOff:
		return r.syncWriteOff(ctx, v)
	case *billing.Refund:
		return r.syncRefund(ctx, v)
	}
	return store.Link{}, &PermanentError{Reason: fmt.Sprintf("syncing %s entities to QuickBooks is not supported yet", r.st.Kind)}
}

// skipReason says why an entity is not sent at all, or "".
func (r *run) skipReason(ent billing.Entity) string {
	date := ""
	switch v := ent.(type) {
	case *billing.Invoice:
		if v.Status == billing.InvoiceDraft {
			return "Draft invoices are not sent to QuickBooks; it syncs once posted."
		}
		date = v.IssuedOn.String()
	}
	if from := r.tenant.Settings.SyncFrom; date != "" && from != "" && date < from {
		return fmt.Sprintf("Dated %s, before the sync-from date %s.", date, from)
	}
	return ""
}
