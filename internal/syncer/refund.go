package syncer

import (
	"context"
	"errors"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// mapRefund books money returned from a payment as a journal entry:
// debit Accounts Receivable for the customer (the credit the payment left
// is used up) and credit the refund ledger (the money leaves). The payment
// then applies that much of its unapplied amount to the entry, so QBO's
// open A/R, the payment's UnappliedAmt and the bank all match billing.
// RefundReceipt is not used here: it books against revenue, not A/R (a
// refund of a sale, which has no A/R, is one: salerefund.go).
func mapRefund(tenant string, f *billing.Refund, s record.Settings, customerID string) (qbo.JournalEntry, error) {
	amt, err := amount(f.Amount, f.Currency)
	if err != nil {
		return qbo.JournalEntry{}, err
	}
	desc := truncate(orDefault(f.Reason, "Refund of payment "+f.PaymentID), 4000)
	cur, rate := currency(f.Currency, f.ExchangeRate)
	return qbo.JournalEntry{
		CurrencyRef: cur, ExchangeRate: rate,
		TxnDate:     f.RefundedOn.String(),
		PrivateNote: marker(tenant, billing.KindRefund, f.ID),
		Line: []qbo.Line{
			{Amount: amt, Description: desc, DetailType: qbo.JournalEntryLine, JournalEntryLineDetail: &qbo.JournalEntryLineDetail{
				PostingType: qbo.Debit, AccountRef: ref(s.ARAccountID),
				Entity: &qbo.EntityTypeRef{Type: "Customer", EntityRef: ref(customerID)}}},
			{Amount: amt, Description: desc, DetailType: qbo.JournalEntryLine, JournalEntryLineDetail: &qbo.JournalEntryLineDetail{
				PostingType: qbo.Credit, AccountRef: ref(s.RefundAccountID)}},
		},
	}, nil
}

func (r *run) syncRefund(ctx context.Context, f *billing.Refund) (record.Link, error) {
	if f.SaleID != "" {
		return r.syncSaleRefund(ctx, f)
	}
	me := billing.Ref{Kind: billing.KindRefund, ID: f.ID}
	find := func(ctx context.Context) (qbo.JournalEntry, bool, error) {
		return findMarked(ctx, r, "select * from JournalEntry where TxnDate = '"+f.RefundedOn.String()+"'",
			mark{tenant: r.st.Tenant, kind: billing.KindRefund, id: f.ID}, func(v qbo.JournalEntry) string { return v.PrivateNote })
	}
	if r.st.Action == billing.ActionVoided {
		if err := r.setRefundOnPayment(ctx, f, nil); err != nil {
			return record.Link{}, err
		}
		return voidLinked(ctx, r, me, find)
	}
	if err := r.refundCovered(ctx, f); err != nil {
		return record.Link{}, err
	}
	je, err := mapRefund(r.st.Tenant, f, r.tenant.Settings, r.qboID(billing.KindCustomer, f.CustomerID))
	if err != nil {
		return record.Link{}, err
	}
	link, err := upsert(ctx, r, target[qbo.JournalEntry]{payload: je, find: find})
	if err != nil {
		return link, err
	}
	return link, r.setRefundOnPayment(ctx, f, &record.RefundEntry{JournalEntryID: link.QBOID, Amount: f.Amount})
}

// setRefundOnPayment records (entry != nil) or removes the refund on its
// payment's link and converges the payment at once, so the payment applies
// (or releases) the refund's journal entry. At once, not queued: when the
// refund shows synced, the payment applies its journal entry, so the
// customer's open A/R and the payment's unapplied amount in QuickBooks are
// billing's (or the payment shows why not).
func (r *run) setRefundOnPayment(ctx context.Context, f *billing.Refund, entry *record.RefundEntry) error {
	pl, err := r.linkOf(ctx, billing.Ref{Kind: billing.KindPayment, ID: f.PaymentID})
	if err != nil {
		return err
	}
	refunds, err := pl.RefundEntries()
	if err != nil {
		return err
	}
	if setRefund(refunds, f.ID, entry) {
		pl.SetRefunds(refunds)
		if _, err := r.putLink(ctx, pl); err != nil {
			return err
		}
	}
	return r.syncNow(ctx, billing.Ref{Kind: billing.KindPayment, ID: f.PaymentID}, f.CustomerID, "refund "+f.ID)
}

// setRefund records entry as refund id (removes it when nil) and reports
// whether that changed refunds.
func setRefund(refunds map[string]record.RefundEntry, id string, entry *record.RefundEntry) bool {
	cur, had := refunds[id]
	switch {
	case entry == nil && had:
		delete(refunds, id)
	case entry != nil && (!had || cur != *entry):
		refunds[id] = *entry
	default:
		return false
	}
	return true
}

// refundCovered returns a waitError while the payment, as billing now has
// it, leaves less unapplied than this refund plus the other refunds taken
// off it: billing still has to release an application first, and the
// payment's next sync wakes the refund. The edge is written before the
// second look, so that sync cannot be missed.
func (r *run) refundCovered(ctx context.Context, f *billing.Refund) error {
	payment := billing.Ref{Kind: billing.KindPayment, ID: f.PaymentID}
	for attempt := 0; attempt < 2; attempt++ {
		short, err := r.refundShort(ctx, f)
		if err != nil || !short {
			return err
		}
		if attempt == 0 {
			child := record.Dependent{Kind: r.st.Kind, ID: r.st.ID, CustomerID: r.st.CustomerID}
			if _, err := r.e.cfg.Store.AddDependent(ctx, r.st.Tenant, payment, child); err != nil && !errors.Is(err, record.ErrNotFound) {
				return err
			}
		}
	}
	return &waitError{on: payment}
}

// refundShort reports whether the payment's free amount is below the refund.
func (r *run) refundShort(ctx context.Context, f *billing.Refund) (bool, error) {
	st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, billing.KindPayment, f.PaymentID)
	if err != nil {
		return false, err
	}
	ent, err := billing.Decode(billing.KindPayment, st.Data)
	if err != nil {
		return false, &PermanentError{Reason: "the refunded payment's stored snapshot cannot be read: " + err.Error()}
	}
	p := ent.(*billing.Payment)
	free := p.Amount
	for _, a := range p.Applications {
		free -= a.Amount
	}
	pl, err := r.linkOf(ctx, billing.Ref{Kind: billing.KindPayment, ID: f.PaymentID})
	if err != nil {
		return false, err
	}
	others, err := refundLines(pl)
	if err != nil {
		return false, err
	}
	for _, o := range others {
		if o.refundID != f.ID {
			free -= o.amount
		}
	}
	return free < f.Amount, nil
}
