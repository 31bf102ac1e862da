package reconcile

import (
	"context"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/store"
)

// InvoiceObserver is told the QuickBooks balance of synced invoices
// (outbound.Store sends quickbooks.invoice.paid when one reaches zero).
type InvoiceObserver interface {
	ObserveInvoice(ctx context.Context, b outbound.InvoiceBalance) error
}

// observePaid tells the observer the balance of every synced invoice
// read in this run (since): a payment made anywhere, synced from billing
// or entered in QuickBooks, moves the invoice and CDC reports it.
func (r *Reconciler) observePaid(ctx context.Context, tenant, realm string, b books, since time.Time) error {
	if r.Paid == nil {
		return nil
	}
	for ref, d := range b.ledger.docs {
		if ref.Kind != billing.KindInvoice {
			continue
		}
		o, l, ok := b.object(ref)
		if !ok || o.UpdatedAt.Before(since) {
			continue
		}
		err := r.Paid.ObserveInvoice(ctx, outbound.InvoiceBalance{Tenant: tenant, InvoiceID: ref.ID, CustomerID: d.customer,
			RealmID: realm, QBOID: o.QBOID, DocNumber: o.DocNumber, Currency: o.Currency, Total: o.Total, Balance: o.Balance,
			Voided: l.Voided || o.State != store.QBOActive})
		if err != nil {
			return err
		}
	}
	return nil
}
