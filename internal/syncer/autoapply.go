package syncer

import (
	"context"
	"fmt"
	"slices"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
)

// QuickBooks' automation preferences (Automatically apply credits /
// payments, on in a new company) apply money on their own: a new invoice
// takes the customer's open credits, a new payment without lines pays the
// oldest invoices. Billing decides applications, so the engine undoes
// what the automation did: our own payments are written again with billing's
// lines, and the zero-amount payments QuickBooks made to apply credit memos
// are deleted.

// paymentBody always sends Line, even empty, so a payment keeps exactly
// billing's applications (an empty list clears what auto-apply added).
type paymentBody struct {
	qbo.Payment
	Line []qbo.Line `json:"Line"`
}

// paymentAutoApplied reports whether QBO added lines to a new payment.
func paymentAutoApplied(sent paymentBody) func(context.Context, paymentBody) (bool, error) {
	return func(_ context.Context, created paymentBody) (bool, error) {
		return len(created.Line) != len(sent.Line), nil
	}
}

// undoCreditAutoApply releases what QBO applied to a new invoice, and
// remembers that the customer holds credit, so that its next invoices
// are created empty first and nothing is applied to them.
func (r *run) undoCreditAutoApply(ctx context.Context, inv qbo.Invoice) (bool, error) {
	if len(paymentIDs(inv.LinkedTxn)) > 0 && inv.CustomerRef != nil {
		r.e.credit.note(r.conn.RealmID, inv.CustomerRef.Value, r.e.cfg.Now())
	}
	return false, r.undoAutoApply(ctx, inv.ID, inv.LinkedTxn, true)
}

// undoAutoApply deletes the payments QBO made to apply credits to
// document docID (linked lists its LinkedTxn) and, with rewriteOurs,
// writes billing's payload again over our own payments that QBO changed.
func (r *run) undoAutoApply(ctx context.Context, docID string, linked []qbo.LinkedTxn, rewriteOurs bool) error {
	ids := paymentIDs(linked)
	if len(ids) == 0 {
		return nil
	}
	r.e.cfg.Log.InfoContext(ctx, "checking applications QuickBooks may have made on its own",
		"tenant", r.st.Tenant, "document", docID, "payments", ids)
	pays, err := r.readPayments(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range pays {
		ms := marks(p.PrivateNote)
		if len(ms) == 0 && isZero(p.TotalAmt) {
			// Made by QuickBooks to apply a credit memo: not billing's.
			if err := r.deleteAutomatic(ctx, p); err != nil {
				return err
			}
			continue
		}
		if len(ms) == 0 {
			// Someone's own payment in QuickBooks: only the line the
			// automation added for docID is taken back.
			if err := r.releaseForeignPayment(ctx, p, docID); err != nil {
				return err
			}
			continue
		}
		m := ms[0]
		if !rewriteOurs || m.tenant != "" && m.tenant != r.st.Tenant {
			continue // another tenant's, in a shared company
		}
		key := billing.Ref{Kind: m.kind, ID: m.id}
		if m.application {
			key.ID += "#application"
		}
		if err := r.rewriteNow(ctx, key, m.id, p.ID, p.SyncToken); err != nil {
			return err
		}
	}
	return nil
}

// paymentIDs lists the payments among a document's LinkedTxn.
func paymentIDs(linked []qbo.LinkedTxn) []string {
	var out []string
	for _, lt := range linked {
		if lt.TxnType == "Payment" && !slices.Contains(out, lt.TxnID) {
			out = append(out, lt.TxnID)
		}
	}
	return out
}

// readPayments reads payments ids in one request (one query for several).
// A payment deleted meanwhile (another sync swept it) is left out.
func (r *run) readPayments(ctx context.Context, ids []string) ([]qbo.Payment, error) {
	if len(ids) == 1 {
		p, err := qbo.Read[qbo.Payment](ctx, r.qbo, r.conn.RealmID, ids[0])
		if qbo.IsValidation(err) {
			return nil, nil
		}
		return []qbo.Payment{p}, err
	}
	found, err := qbo.QueryAll[qbo.Payment](ctx, r.qbo, r.conn.RealmID,
		"select * from Payment where Id in ("+qbo.QuoteList(ids)+")")
	if err != nil {
		return nil, fmt.Errorf("read the payments applied to a document: %w", err)
	}
	return found, nil
}

// rewriteNow makes entity id's QBO object hold billing's payload again
// (automation changed it): its link forgets the last hash and the entity is
// synced at once. At once, not queued: a queued rewrite could sit behind a
// payment of the same customer that cannot apply until it is done. The
// object was just read (qboID at syncToken): the link takes that token, so
// the rewrite is not refused as stale and read again.
func (r *run) rewriteNow(ctx context.Context, key billing.Ref, id, qboID, syncToken string) error {
	l, err := r.linkOf(ctx, key)
	if err != nil || !l.Linked() {
		return err
	}
	l.SentHash = ""
	if l.QBOID == qboID {
		l.SyncToken = syncToken
	}
	if _, err := r.putLink(ctx, l); err != nil {
		return err
	}
	st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, key.Kind, id)
	if err != nil {
		return err
	}
	return r.syncNow(ctx, billing.Ref{Kind: key.Kind, ID: id}, st.CustomerID, "auto-apply")
}

// releaseAutomaticApplications undoes what QuickBooks' automation applied
// that keeps ent from being written: the customer's applications made by
// QuickBooks and, for a linked invoice, what it added to our payments
// (a first undo may have failed midway).
func (r *run) releaseAutomaticApplications(ctx context.Context, ent billing.Entity) error {
	if err := r.sweepForeignApplications(ctx, ent.CustomerRef()); err != nil {
		return err
	}
	if r.st.Kind != billing.KindInvoice {
		return nil
	}
	l, err := r.linkOf(ctx, billing.Ref{Kind: billing.KindInvoice, ID: r.st.ID})
	if err != nil || !l.Linked() {
		return err
	}
	inv, err := qbo.Read[qbo.Invoice](ctx, r.qbo, r.conn.RealmID, l.QBOID)
	if err != nil {
		return err
	}
	return r.undoAutoApply(ctx, inv.ID, inv.LinkedTxn, true)
}

// sweepForeignApplications deletes the customer's zero-amount payments
// that carry no billing marker: applications QuickBooks' automation made
// (some left empty once what they applied was voided). Billing decides
// every application of its documents.
func (r *run) sweepForeignApplications(ctx context.Context, billingCustomer string) error {
	cust := r.qboID(billing.KindCustomer, billingCustomer)
	if cust == "" {
		return nil
	}
	found, err := qbo.QueryAll[qbo.Payment](ctx, r.qbo, r.conn.RealmID,
		"select * from Payment where CustomerRef = "+qbo.Quote(cust)+" and TotalAmt = '0'")
	if err != nil {
		return err
	}
	for _, p := range found {
		if markerRE.MatchString(p.PrivateNote) {
			continue
		}
		if err := r.deleteAutomatic(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// deleteAutomatic deletes p, a zero-amount payment QuickBooks' automation
// made to apply credit. Refused as stale, p is read again and deleted at
// its new SyncToken while it is still one: a void of what it applied
// empties it meanwhile and leaves it linked from no document, so no later
// read of a document would find it. A payment gone already is done.
func (r *run) deleteAutomatic(ctx context.Context, p qbo.Payment) error {
	for attempt := 0; ; attempt++ {
		reqID := requestID(r.st.Tenant, r.conn.RealmID, "undo-auto-apply", p.ID, p.SyncToken)
		err := qbo.Delete(ctx, r.qbo, r.conn.RealmID, qbo.Payment{ID: p.ID, SyncToken: p.SyncToken}, reqID)
		if qbo.IsStale(err) && attempt < staleRetries {
			cur, rerr := qbo.Read[qbo.Payment](ctx, r.qbo, r.conn.RealmID, p.ID)
			if qbo.IsValidation(rerr) {
				return nil
			}
			if rerr != nil {
				return fmt.Errorf("read QuickBooks' automatic application %s again: %w", p.ID, rerr)
			}
			if markerRE.MatchString(cur.PrivateNote) || !isZero(cur.TotalAmt) {
				return nil // written over since: no longer QuickBooks' zero-amount payment
			}
			p = cur
			continue
		}
		if err != nil && !qbo.IsValidation(err) {
			return fmt.Errorf("remove QuickBooks' automatic application %s: %w", p.ID, err)
		}
		return nil
	}
}

// releaseForeignPayment writes payment p, recorded in QuickBooks by
// someone other than billing, without its lines for document docID: the
// money goes back to being unapplied, as it was before the automation
// applied it to billing's document.
func (r *run) releaseForeignPayment(ctx context.Context, p qbo.Payment, docID string) error {
	var kept []qbo.Line
	for _, line := range p.Line {
		if !linksTxn(line, docID) {
			kept = append(kept, line)
		}
	}
	if len(kept) == len(p.Line) {
		return nil
	}
	v, err := qbo.WithIdentity(paymentBody{Line: append([]qbo.Line{}, kept...)}, p.ID, p.SyncToken, true)
	if err != nil {
		return err
	}
	reqID := requestID(r.st.Tenant, r.conn.RealmID, "release-foreign", p.ID, p.SyncToken)
	if _, err := qbo.Update(ctx, r.qbo, r.conn.RealmID, v, reqID); err != nil && !qbo.IsValidation(err) {
		return fmt.Errorf("take back QuickBooks' automatic application of payment %s: %w", p.ID, err)
	}
	return nil
}

func linksTxn(line qbo.Line, txnID string) bool {
	for _, lt := range line.LinkedTxn {
		if lt.TxnID == txnID && (lt.TxnType == "Invoice" || lt.TxnType == "CreditMemo") {
			return true
		}
	}
	return false
}
