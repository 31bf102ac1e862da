package syncer

import (
	"context"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// mapSaleRefund books money returned from a sale as a QBO RefundReceipt
// paid from the refund ledger, with one line on the default item: a sale
// has no receivable to debit, so the refund reverses income, as a sales
// receipt's refund does in QuickBooks.
func mapSaleRefund(tenant string, f *billing.Refund, s record.Settings, customerID string) (qbo.RefundReceipt, error) {
	amt, err := amount(f.Amount, f.Currency)
	if err != nil {
		return qbo.RefundReceipt{}, err
	}
	desc := truncate(orDefault(f.Reason, "Refund of sale "+f.SaleID), 4000)
	out := qbo.RefundReceipt{
		TxnDate:             f.RefundedOn.String(),
		CustomerRef:         ref(customerID),
		PrivateNote:         marker(tenant, billing.KindRefund, f.ID),
		DepositToAccountRef: ref(s.RefundAccountID),
		Line: []qbo.Line{{Amount: amt, Description: desc, DetailType: qbo.SalesItemLine,
			SalesItemLineDetail: &qbo.SalesItemLineDetail{ItemRef: ref(s.DefaultItemID), Qty: "1", UnitPrice: amt, TaxCodeRef: ref("NON")}}},
	}
	if s.TaxMode == record.TaxUSOverride {
		// No tax on the refund line; the override keeps automated sales
		// tax from adding any.
		out.TxnTaxDetail = &qbo.TxnTaxDetail{TotalTax: "0"}
	}
	return out, nil
}

func (r *run) syncSaleRefund(ctx context.Context, f *billing.Refund) (record.Link, error) {
	stmt := "select * from RefundReceipt where TxnDate = '" + f.RefundedOn.String() + "'"
	find := func(ctx context.Context) (qbo.RefundReceipt, bool, error) {
		return findMarked(ctx, r, stmt, mark{tenant: r.st.Tenant, kind: billing.KindRefund, id: f.ID}, func(v qbo.RefundReceipt) string { return v.PrivateNote })
	}
	if r.st.Action == billing.ActionVoided {
		return voidLinked(ctx, r, billing.Ref{Kind: billing.KindRefund, ID: f.ID}, find)
	}
	customerID, err := r.saleRefundCustomer(ctx, f)
	if err != nil {
		return record.Link{}, err
	}
	payload, err := mapSaleRefund(r.st.Tenant, f, r.tenant.Settings, customerID)
	if err != nil {
		return record.Link{}, err
	}
	return upsert(ctx, r, target[qbo.RefundReceipt]{payload: payload, find: find})
}

// saleRefundCustomer returns the QBO customer of the refunded sale, after
// checking that the refund agrees with the sale on customer and currency
// and returns no more than the sale took.
func (r *run) saleRefundCustomer(ctx context.Context, f *billing.Refund) (string, error) {
	st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, billing.KindSale, f.SaleID)
	if err != nil {
		return "", fmt.Errorf("load sale %s: %w", f.SaleID, err)
	}
	sale, err := decodeSale(st.Data)
	if err != nil {
		return "", err
	}
	switch {
	case sale.CustomerID != f.CustomerID:
		return "", &PermanentError{Reason: fmt.Sprintf("The refund is for customer %s but sale %s was paid by customer %s; correct the refund in billing, then resend.",
			f.CustomerID, f.SaleID, sale.CustomerID)}
	case sale.Currency != f.Currency:
		return "", &PermanentError{Reason: fmt.Sprintf("The refund is in %s but sale %s is in %s; correct the refund in billing, then resend.",
			f.Currency, f.SaleID, sale.Currency)}
	case f.Amount > sale.Total:
		return "", &PermanentError{Reason: fmt.Sprintf("The refund (%d minor units) is more than sale %s took (%d); correct the refund in billing, then resend.",
			f.Amount, f.SaleID, sale.Total)}
	}
	l, err := r.linkOf(ctx, billing.Ref{Kind: billing.KindCustomer, ID: sale.CustomerID})
	if err != nil {
		return "", err
	}
	if !l.Linked() {
		return "", fmt.Errorf("sale %s is linked but its customer %s is not", f.SaleID, sale.CustomerID)
	}
	return l.QBOID, nil
}
