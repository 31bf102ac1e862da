package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/qbo"
)

// businessRule is QuickBooks' code for a refusal under a business rule;
// its Detail says which, in words that are not a contract.
const businessRule = "6000"

// overAppliedError: QuickBooks refused a write that applies more to a
// document than it shows open, or lowers a document's total below what is
// applied to it. Billing is consistent, so QuickBooks' automation applied
// money billing did not, or another change that frees the balance (a
// payment's or credit's update, on another queue) has not synced yet.
type overAppliedError struct {
	fault *qbo.Error
}

func (e *overAppliedError) Error() string { return "over-applied: " + e.fault.Error() }
func (e *overAppliedError) Unwrap() error { return e.fault }

// unexplainedError: QuickBooks refused with a business rule a write that
// applies money, and the balances read just after do not show an
// over-application. Another sync may have freed them in between, so the
// write is tried once more; a second such refusal is shown as it is.
type unexplainedError struct {
	fault *qbo.Error
}

func (e *unexplainedError) Error() string { return e.fault.Error() }
func (e *unexplainedError) Unwrap() error { return e.fault }

// explain turns a business-rule refusal of ent's write into an
// *overAppliedError when the documents' amounts in QuickBooks show an
// over-application; any other error is returned as it is.
func (r *run) explain(ctx context.Context, ent billing.Entity, err error) error {
	var qe *qbo.Error
	if !errors.As(err, &qe) || qe.Code != businessRule {
		return err
	}
	over, rerr := r.overApplied(ctx, ent)
	if rerr != nil {
		// Only the failed read is wrapped: it is what decides the outcome.
		// Unread balances say nothing of the refusal, so it is not shown.
		return fmt.Errorf("read the balances behind a refusal (%v): %w", err, rerr)
	}
	switch {
	case over:
		return &overAppliedError{qe}
	case appliesMoney(ent):
		return &unexplainedError{qe}
	}
	return err
}

// appliesMoney reports the entities whose writes apply money to documents
// or change a document money is applied to.
func appliesMoney(ent billing.Entity) bool {
	switch ent.(type) {
	case *billing.Payment, *billing.Credit, *billing.ChargeReversal, *billing.WriteOff, *billing.Invoice:
		return true
	}
	return false
}

// overApplied compares what ent applies with the documents' open amounts
// as QuickBooks holds them (Balance, and what ent's own object already
// applies), and a document's new total with what is applied to it.
func (r *run) overApplied(ctx context.Context, ent billing.Entity) (bool, error) {
	own := billing.Ref{Kind: r.st.Kind, ID: r.st.ID}
	switch v := ent.(type) {
	case *billing.Payment:
		return r.exceedsOpen(ctx, own, v.Applications, v.Currency)
	case *billing.Credit:
		return r.creditOverApplied(ctx, own, v.Amount, v.Applications, v.Currency)
	case *billing.ChargeReversal:
		return r.creditOverApplied(ctx, own, v.Amount, []billing.Application{{InvoiceID: v.InvoiceID, Amount: v.Amount}}, v.Currency)
	case *billing.WriteOff:
		return r.creditOverApplied(ctx, own, v.Amount, []billing.Application{{InvoiceID: v.InvoiceID, Amount: v.Amount}}, v.Currency)
	case *billing.Invoice:
		return r.belowApplied(ctx, v)
	}
	return false, nil
}

// creditOverApplied checks a credit document: its application payment
// against the invoices' balances, and its credit memo (linked under memo)
// against what is applied of it: the application needs more than the
// memo has left besides what it applies already, or the memo's new total
// is below what is applied of it.
func (r *run) creditOverApplied(ctx context.Context, memo billing.Ref, total int64, apps []billing.Application, cur string) (bool, error) {
	app := billing.Ref{Kind: memo.Kind, ID: memo.ID + "#application"}
	if over, err := r.exceedsOpen(ctx, app, apps, cur); over || err != nil {
		return over, err
	}
	l, err := r.linkOf(ctx, memo)
	if err != nil || !l.Linked() || l.Voided {
		return false, err
	}
	m, err := qbo.Read[qbo.CreditMemo](ctx, r.qbo, r.conn.RealmID, l.QBOID)
	if err != nil {
		return false, err
	}
	memoTotal, err := minor(m.TotalAmt, cur)
	if err != nil {
		return false, fmt.Errorf("credit memo %s total: %w", m.ID, err)
	}
	left, err := minor(m.RemainingCredit, cur)
	if err != nil {
		return false, fmt.Errorf("credit memo %s remaining credit: %w", m.ID, err)
	}
	own, err := r.ownApplications(ctx, app, "CreditMemo", cur)
	if err != nil {
		return false, err
	}
	var want int64
	for _, a := range apps {
		want += a.Amount
	}
	return want > left+own[m.ID] || total < memoTotal-left, nil
}

// exceedsOpen reports an application larger than its invoice's Balance
// plus what the entity's own payment (linked under own) applies to it.
func (r *run) exceedsOpen(ctx context.Context, own billing.Ref, apps []billing.Application, cur string) (bool, error) {
	applied, err := r.ownApplications(ctx, own, "Invoice", cur)
	if err != nil {
		return false, err
	}
	for _, a := range apps {
		id := r.qboID(billing.KindInvoice, a.InvoiceID)
		if id == "" {
			continue
		}
		inv, err := qbo.Read[qbo.Invoice](ctx, r.qbo, r.conn.RealmID, id)
		if err != nil {
			return false, err
		}
		open, err := minor(inv.Balance, cur)
		if err != nil {
			return false, fmt.Errorf("invoice %s balance: %w", id, err)
		}
		if a.Amount > open+applied[id] {
			return true, nil
		}
	}
	return false, nil
}

// ownApplications sums, per document of txnType, what the payment linked
// under own applies in QuickBooks now.
func (r *run) ownApplications(ctx context.Context, own billing.Ref, txnType, cur string) (map[string]int64, error) {
	out := map[string]int64{}
	l, err := r.linkOf(ctx, own)
	if err != nil || !l.Linked() || l.Voided {
		return out, err
	}
	p, err := qbo.Read[qbo.Payment](ctx, r.qbo, r.conn.RealmID, l.QBOID)
	if err != nil {
		return nil, err
	}
	for _, line := range p.Line {
		for _, lt := range line.LinkedTxn {
			if lt.TxnType != txnType {
				continue
			}
			amt, err := minor(line.Amount, cur)
			if err != nil {
				return nil, fmt.Errorf("payment %s line: %w", p.ID, err)
			}
			out[lt.TxnID] += amt
		}
	}
	return out, nil
}

// belowApplied reports a new invoice total below what QuickBooks shows
// applied to the invoice (TotalAmt - Balance).
func (r *run) belowApplied(ctx context.Context, v *billing.Invoice) (bool, error) {
	l, err := r.link(ctx)
	if err != nil || !l.Linked() {
		return false, err
	}
	inv, err := qbo.Read[qbo.Invoice](ctx, r.qbo, r.conn.RealmID, l.QBOID)
	if err != nil {
		return false, err
	}
	total, err := minor(inv.TotalAmt, v.Currency)
	if err != nil {
		return false, fmt.Errorf("invoice %s total: %w", inv.ID, err)
	}
	open, err := minor(inv.Balance, v.Currency)
	if err != nil {
		return false, fmt.Errorf("invoice %s balance: %w", inv.ID, err)
	}
	return v.Total < total-open, nil
}

// minor reads one of QuickBooks' amounts as minor units; QuickBooks
// leaves out an amount that is zero.
func minor(n json.Number, cur string) (int64, error) {
	if n == "" {
		return 0, nil
	}
	return money.Parse(n.String(), cur)
}

// isZero reports an amount QuickBooks shows as zero (or leaves out).
func isZero(n json.Number) bool {
	r, ok := new(big.Rat).SetString(n.String())
	return n == "" || ok && r.Sign() == 0
}
