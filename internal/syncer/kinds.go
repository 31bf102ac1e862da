package syncer

import (
	"context"
	"errors"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// syncKind hands the entity to its kind's syncer.
func (r *run) syncKind(ctx context.Context, ent billing.Entity) (record.Link, error) {
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
	case *billing.Sale:
		return r.syncSale(ctx, v)
	}
	return record.Link{}, &PermanentError{Reason: fmt.Sprintf("syncing %s entities to QuickBooks is not supported yet", r.st.Kind)}
}

// skipReason says why an entity is not sent at all, or "": drafts, and
// documents dated before the customer's financial start date (set when an
// admin connected the customer) or else the tenant's sync-from date.
func (r *run) skipReason(ctx context.Context, ent billing.Entity) (string, error) {
	if _, ok := ent.(*billing.Payment); ok && r.tenant.Settings.PaymentsFromQuickBooks() {
		return PaymentsFromQuickBooksReason, nil
	}
	if v, ok := ent.(*billing.Invoice); ok && v.Status == billing.InvoiceDraft {
		return "Draft invoices are not sent to QuickBooks; it syncs once posted.", nil
	}
	date := docDate(ent)
	if date == "" {
		return "", nil
	}
	from, what := r.tenant.Settings.SyncFrom, "the sync-from date"
	cc, err := r.e.cfg.Store.CustomerConnection(ctx, r.st.Tenant, ent.CustomerRef())
	if err != nil && !errors.Is(err, record.ErrNotFound) {
		return "", err
	}
	if cc.StartDate != "" {
		from, what = cc.StartDate, "the customer's financial start date"
	}
	if from != "" && date < from {
		return fmt.Sprintf("Dated %s, before %s %s.", date, what, from), nil
	}
	return "", nil
}

// PaymentsFromQuickBooksReason is why a billing payment is not synced
// while the tenant's payments come from QuickBooks.
const PaymentsFromQuickBooksReason = "Payments are recorded in QuickBooks for this account (payments direction from_quickbooks) " +
	"and sent to billing from there: billing's payments are not synced to QuickBooks, so no payment is recorded twice."

// docDate is a document's accounting date, "" for customers and products.
func docDate(ent billing.Entity) string {
	switch v := ent.(type) {
	case *billing.Invoice:
		return v.IssuedOn.String()
	case *billing.Payment:
		return v.ReceivedOn.String()
	case *billing.Credit:
		return v.IssuedOn.String()
	case *billing.ChargeReversal:
		return v.ReversedOn.String()
	case *billing.WriteOff:
		return v.WrittenOffOn.String()
	case *billing.Refund:
		return v.RefundedOn.String()
	case *billing.Sale:
		return v.PaidOn.String()
	}
	return ""
}

// awaitsConnection reports a customer that waits for an admin to connect it
// (manual customer mode).
func (r *run) awaitsConnection(ctx context.Context) (bool, error) {
	if r.st.Kind != billing.KindCustomer || r.tenant.Settings.CustomerMode != "manual" {
		return false, nil
	}
	_, err := r.e.cfg.Store.CustomerConnection(ctx, r.st.Tenant, r.st.ID)
	if errors.Is(err, record.ErrNotFound) {
		return true, nil
	}
	return false, err
}
