package syncer

import (
	"context"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// invoiceRefs are the QBO ids an invoice's mapping needs.
type invoiceRefs struct {
	customerID string
	items      map[string]string // billing product id → QBO item id
}

// mapInvoice maps a posted or paid billing invoice to a QBO Invoice: one
// sales line per billing line, one discount line for the discount total,
// tax per the tenant's tax mode, the billing number as DocNumber and the
// marker in PrivateNote.
func mapInvoice(tenant string, v *billing.Invoice, s record.Settings, refs invoiceRefs) (qbo.Invoice, error) {
	out := qbo.Invoice{
		DocNumber:   v.Number,
		TxnDate:     v.IssuedOn.String(),
		DueDate:     v.DueOn.String(),
		CustomerRef: ref(refs.customerID),
		PrivateNote: truncate(strings.TrimSpace(marker(tenant, billing.KindInvoice, v.ID)+" "+v.Notes), 4000),
	}
	out.CurrencyRef, out.ExchangeRate = currency(v.Currency, v.ExchangeRate)
	for i, l := range v.Lines {
		line, err := mapSalesLine(l, v.Currency, s, refs)
		if err != nil {
			return qbo.Invoice{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		out.Line = append(out.Line, line)
	}
	if v.DiscountTotal > 0 {
		amt, err := amount(v.DiscountTotal, v.Currency)
		if err != nil {
			return qbo.Invoice{}, err
		}
		out.Line = append(out.Line, qbo.Line{Amount: amt, DetailType: qbo.DiscountLine, Description: "Discounts",
			DiscountLineDetail: &qbo.DiscountLineDetail{PercentBased: qbo.Bool(false), DiscountAccountRef: ref(s.DiscountAccountID)}})
	}
	return out, applyTax(&out, v, s)
}

func mapSalesLine(l billing.InvoiceLine, currency string, s record.Settings, refs invoiceRefs) (qbo.Line, error) {
	amt, err := amount(l.Amount, currency)
	if err != nil {
		return qbo.Line{}, err
	}
	unit, err := amount(l.UnitAmount, currency)
	if err != nil {
		return qbo.Line{}, err
	}
	item := s.DefaultItemID
	if l.ProductID != "" {
		item = refs.items[l.ProductID]
	}
	d := &qbo.SalesItemLineDetail{ItemRef: ref(item), Qty: jsonNumber(l.Quantity.String()), UnitPrice: unit}
	switch s.TaxMode {
	case record.TaxCodes:
		code, ok := s.TaxCodes[l.TaxCode]
		if !ok {
			return qbo.Line{}, &PermanentError{Reason: fmt.Sprintf(
				"billing tax code %q has no QuickBooks tax code in the tax-code map; add it in settings, then resend", l.TaxCode)}
		}
		d.TaxCodeRef = ref(code)
	case record.TaxUSOverride:
		d.TaxCodeRef = ref("NON")
		if l.TaxAmount > 0 {
			d.TaxCodeRef = ref("TAX")
		}
	}
	return qbo.Line{Amount: amt, Description: l.Description, DetailType: qbo.SalesItemLine, SalesItemLineDetail: d}, nil
}

// applyTax sets the invoice's tax so QBO's total equals billing's to the
// cent: US companies get billing's tax total as an override of automated
// sales tax; tax-code companies compute tax from the mapped codes.
func applyTax(out *qbo.Invoice, v *billing.Invoice, s record.Settings) error {
	switch s.TaxMode {
	case record.TaxUSOverride:
		// Also when it is 0: updates are sparse, so an invoice whose tax
		// went away would otherwise keep its old TotalTax in QBO.
		tax, err := amount(v.TaxTotal, v.Currency)
		if err != nil {
			return err
		}
		out.TxnTaxDetail = &qbo.TxnTaxDetail{TotalTax: tax}
	case record.TaxCodes:
		out.GlobalTaxCalculation = "TaxExcluded"
	default:
		if v.TaxTotal > 0 {
			return &PermanentError{Reason: "the invoice has tax but the tax mode is none; choose a tax mode in settings, then resend"}
		}
	}
	return nil
}

func (r *run) syncInvoice(ctx context.Context, v *billing.Invoice) (record.Link, error) {
	refs := invoiceRefs{customerID: r.qboID(billing.KindCustomer, v.CustomerID), items: map[string]string{}}
	for _, l := range v.Lines {
		if l.ProductID != "" {
			refs.items[l.ProductID] = r.qboID(billing.KindProduct, l.ProductID)
		}
	}
	find := func(ctx context.Context) (qbo.Invoice, bool, error) {
		return findMarked(ctx, r, "select * from Invoice where DocNumber = "+qbo.Quote(v.Number),
			mark{tenant: r.st.Tenant, kind: billing.KindInvoice, id: v.ID}, func(v qbo.Invoice) string { return v.PrivateNote })
	}
	if v.Status == billing.InvoiceVoided {
		return r.voidInvoice(ctx, v, find)
	}
	payload, err := mapInvoice(r.st.Tenant, v, r.tenant.Settings, refs)
	if err != nil {
		return record.Link{}, err
	}
	t := target[qbo.Invoice]{payload: payload, find: find, afterCreate: r.undoCreditAutoApply}
	if v.Total > 0 && r.e.credit.holdsCredit(r.conn.RealmID, refs.customerID, r.e.cfg.Now()) {
		t.first = func() qbo.Invoice { return emptyInvoice(payload) }
	}
	return upsert(ctx, r, t)
}

// emptyInvoice is invoice with every amount zero: QuickBooks' automation
// applies credit to a new invoice only, and to this one it can apply
// nothing. Its lines keep their items and tax codes, so it is the same
// valid document at zero.
func emptyInvoice(invoice qbo.Invoice) qbo.Invoice {
	out := invoice
	out.Line = nil
	for _, l := range invoice.Line {
		if l.SalesItemLineDetail == nil {
			continue // a discount of nothing is no line
		}
		d := *l.SalesItemLineDetail
		d.UnitPrice = "0"
		l.SalesItemLineDetail, l.Amount = &d, "0"
		out.Line = append(out.Line, l)
	}
	if invoice.TxnTaxDetail != nil {
		out.TxnTaxDetail = &qbo.TxnTaxDetail{TotalTax: "0"}
	}
	return out
}

// voidInvoice voids the invoice after deleting any payment QBO's
// automation made to apply credit to it (the void would leave it behind,
// empty). The invoice's LinkedTxn, on the read the void is sent at, names
// every such payment: the void leaves nothing empty behind, so the
// customer's payments are not searched again.
func (r *run) voidInvoice(ctx context.Context, v *billing.Invoice, find func(context.Context) (qbo.Invoice, bool, error)) (record.Link, error) {
	return voidReleased(ctx, r, billing.Ref{Kind: billing.KindInvoice, ID: v.ID}, find, r.releaseInvoice)
}

// releaseInvoice deletes the payments QBO's automation made to apply
// credit to invoice id and returns the SyncToken it read the invoice at.
func (r *run) releaseInvoice(ctx context.Context, id string) (string, error) {
	inv, err := qbo.Read[qbo.Invoice](ctx, r.qbo, r.conn.RealmID, id)
	if err != nil {
		return "", err
	}
	return inv.SyncToken, r.undoAutoApply(ctx, inv.ID, inv.LinkedTxn, false)
}
