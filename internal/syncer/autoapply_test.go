package syncer_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/syncer"
)

// autoApplying is the fake company with "Automatically apply credits" on:
// a new invoice takes the unapplied amount of the customer's payment
// payment, which gains a line for it, and the invoice lists the payment.
type autoApplying struct {
	*qbofake.Company
	t       *testing.T
	payment string
}

func (c *autoApplying) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	env, err := c.Company.Do(ctx, r)
	if err != nil || r.Op != "create Invoice" {
		return env, err
	}
	var inv map[string]any
	if err := json.Unmarshal(env["Invoice"], &inv); err != nil {
		c.t.Fatal(err)
	}
	id := inv["Id"].(string)
	if err := c.Company.Edit("Payment", c.payment, func(p map[string]any) {
		p["Line"] = []any{map[string]any{"Amount": "30.00",
			"LinkedTxn": []any{map[string]any{"TxnId": id, "TxnType": "Invoice"}}}}
	}); err != nil {
		c.t.Fatal(err)
	}
	inv["LinkedTxn"] = []any{map[string]any{"TxnId": c.payment, "TxnType": "Payment"}}
	b, err := json.Marshal(inv)
	if err != nil {
		c.t.Fatal(err)
	}
	env["Invoice"] = b
	return env, nil
}

// The customer has a payment someone recorded in QuickBooks (no billing
// marker, 30.00 unapplied), and QuickBooks' automation applies it to the
// invoice billing just sent. Undoing the automation must give the payment
// back its unapplied amount, never delete a payment that is not billing's
// and not one of QuickBooks' zero-amount credit applications.
func TestAutomaticApplicationOfAForeignPaymentIsUndoneNotDeleted(t *testing.T) {
	w := newWorld(t)
	cust := withCustomer(w)
	foreign, err := w.books.Add(qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "30.00",
		PrivateNote: "Cheque 1041, entered by the bookkeeper"})
	if err != nil {
		t.Fatal(err)
	}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return &autoApplying{Company: w.books, t: t, payment: foreign} }))
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))

	if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindInvoice, "inv_1"); st.Status != record.StatusSynced {
		t.Fatalf("status %s %+v, want synced", st.Status, st.Warning)
	}
	pays, err := qbofake.All[qbo.Payment](w.books)
	if err != nil {
		t.Fatal(err)
	}
	if len(pays) != 1 || pays[0].ID != foreign {
		t.Fatalf("payments = %+v, want the bookkeeper's payment %s kept", pays, foreign)
	}
	if pays[0].TotalAmt != "30.00" || len(pays[0].Line) != 0 {
		t.Errorf("payment %s = total %s, lines %+v; want 30.00 unapplied again", foreign, pays[0].TotalAmt, pays[0].Line)
	}
}
