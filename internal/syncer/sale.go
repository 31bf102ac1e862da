package syncer

import (
	"context"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// saleRefs are the QBO ids a sale's mapping needs.
type saleRefs struct {
	customerID string
	items      map[string]string // billing product id → QBO item id
	methodID   string
}

// mapSale maps a sale to a QBO SalesReceipt paid into the deposit ledger.
// Its lines, discount and tax are an invoice's: the sale is mapped as the
// paid invoice it amounts to, so both book revenue the same way.
func mapSale(tenant string, s *billing.Sale, set record.Settings, refs saleRefs) (qbo.SalesReceipt, error) {
	inv, err := mapInvoice(tenant, saleInvoice(s), set, invoiceRefs{customerID: refs.customerID, items: refs.items})
	if err != nil {
		return qbo.SalesReceipt{}, err
	}
	out := qbo.SalesReceipt{
		TxnDate:              s.PaidOn.String(),
		CustomerRef:          inv.CustomerRef,
		Line:                 inv.Line,
		TxnTaxDetail:         inv.TxnTaxDetail,
		GlobalTaxCalculation: inv.GlobalTaxCalculation,
		PrivateNote:          truncate(strings.TrimSpace(saleMarker(tenant, s.ID).String()+" "+s.Notes), 4000),
		DepositToAccountRef:  ref(set.DepositAccountID),
		PaymentMethodRef:     ref(refs.methodID),
		PaymentRefNum:        truncate(s.Reference, 21),
	}
	if s.ExchangeRate != "" {
		// Only with a rate: without one QuickBooks takes the customer's
		// currency and its own rate, as it does for invoices.
		out.CurrencyRef, out.ExchangeRate = ref(s.Currency), jsonNumber(s.ExchangeRate.String())
	}
	return out, nil
}

// saleInvoice is the paid invoice a sale amounts to.
func saleInvoice(s *billing.Sale) *billing.Invoice {
	return &billing.Invoice{ID: s.ID, CustomerID: s.CustomerID, Status: billing.InvoicePaid,
		IssuedOn: s.PaidOn, DueOn: s.PaidOn, Currency: s.Currency, Lines: s.Lines,
		Subtotal: s.Subtotal, DiscountTotal: s.DiscountTotal, TaxTotal: s.TaxTotal, Total: s.Total,
		Notes: s.Notes}
}

// saleMarker tags the sales receipt of a sale.
func saleMarker(tenant, id string) mark { return mark{tenant: tenant, kind: billing.KindSale, id: id} }

func (r *run) syncSale(ctx context.Context, s *billing.Sale) (record.Link, error) {
	stmt := "select * from SalesReceipt where TxnDate = '" + s.PaidOn.String() + "'"
	find := func(ctx context.Context) (qbo.SalesReceipt, bool, error) {
		return findMarked(ctx, r, stmt, saleMarker(r.st.Tenant, s.ID), func(v qbo.SalesReceipt) string { return v.PrivateNote })
	}
	if r.st.Action == billing.ActionVoided {
		return voidLinked(ctx, r, billing.Ref{Kind: billing.KindSale, ID: s.ID}, find)
	}
	customerID, err := r.saleCustomer(ctx, s)
	if err != nil {
		return record.Link{}, err
	}
	refs := saleRefs{customerID: customerID, items: map[string]string{}, methodID: r.tenant.Settings.PaymentMethods[s.PaymentMethod]}
	for _, l := range s.Lines {
		if l.ProductID != "" {
			refs.items[l.ProductID] = r.qboID(billing.KindProduct, l.ProductID)
		}
	}
	payload, err := mapSale(r.st.Tenant, s, r.tenant.Settings, refs)
	if err != nil {
		return record.Link{}, err
	}
	return upsert(ctx, r, target[qbo.SalesReceipt]{payload: payload, find: find})
}

// decodeSale reads a stored sale snapshot.
func decodeSale(data []byte) (*billing.Sale, error) {
	ent, err := billing.Decode(billing.KindSale, data)
	if err != nil {
		return nil, &PermanentError{Reason: fmt.Sprintf("the sale's stored snapshot cannot be read: %v", err)}
	}
	return ent.(*billing.Sale), nil
}
