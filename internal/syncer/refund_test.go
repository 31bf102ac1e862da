package syncer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
)

// pay_1 receives 70.00, applies 52.92 to inv_1 and leaves 17.08 unapplied.
var paymentWithCredit = strings.Replace(paymentV1, `"amount":5292,`, `"amount":7000,`, 1)

const refundV1 = `{"id":"ref_1","version":1,"customer_id":"cus_1","payment_id":"pay_1","refunded_on":"2026-11-24",
	"amount":1000,"currency":"USD","reason":"Duplicate charge"}`

// journalLine returns the amount pay applies to journal entry je ("" when none).
func journalLine(pay qbo.Payment, je string) string {
	for _, l := range pay.Line {
		for _, lt := range l.LinkedTxn {
			if lt.TxnType == "JournalEntry" && lt.TxnID == je {
				return string(l.Amount)
			}
		}
	}
	return ""
}

func onlyPayment(t *testing.T, w *world) qbo.Payment {
	t.Helper()
	pays, err := qbofake.All[qbo.Payment](w.books)
	if err != nil || len(pays) != 1 {
		t.Fatalf("payments = %+v, %v; want one", pays, err)
	}
	return pays[0]
}

// A refund taken off a payment's unapplied amount is booked as a journal
// entry, recorded in the payment's link as a typed entry, and the payment
// is written again at once to apply 10.00 of itself to that entry.
func TestRefundIsAppliedByItsPayment(t *testing.T) {
	w := newWorld(t)
	withInvoice(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentWithCredit)
	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	w.receive(billing.KindRefund, "ref_1", "cus_1", 1, refundV1)

	if err := w.sync(billing.KindRefund, "ref_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindRefund, "ref_1"); st.Status != record.StatusSynced {
		t.Fatalf("refund status %s %+v, want synced", st.Status, st.Warning)
	}
	je := w.link(billing.KindRefund, "ref_1").QBOID
	want := map[string]record.RefundEntry{"ref_1": {JournalEntryID: je, Amount: 1000}}
	if got := w.link(billing.KindPayment, "pay_1"); len(got.Refunds) != 1 || got.Refunds["ref_1"] != want["ref_1"] {
		t.Errorf("payment link refunds = %+v, want %+v", got.Refunds, want)
	}
	pay := onlyPayment(t, w)
	if got := journalLine(pay, je); got != "10.00" {
		t.Errorf("payment applies %q to the refund's journal entry %s, want 10.00; lines %+v", got, je, pay.Line)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Errorf("payment status %s %+v, want synced", st.Status, st.Warning)
	}
}

// A payment's link written before the typed field holds its refund in
// Extra's older form: the payment's sync still applies that journal entry.
func TestPaymentAppliesARefundOfTheOlderLinkForm(t *testing.T) {
	w := newWorld(t)
	withInvoice(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentWithCredit)
	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	je, err := w.books.Add(qbo.JournalEntry{TxnDate: "2026-11-24", PrivateNote: "[billing acme/refund ref_1]"})
	if err != nil {
		t.Fatal(err)
	}
	l := w.link(billing.KindPayment, "pay_1")
	l.Extra = map[string]string{"refund:ref_1": je + "|1000"}
	l.SentHash = "" // written again on the next sync
	if _, err := w.store.PutLink(context.Background(), l); err != nil {
		t.Fatal(err)
	}

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if got := journalLine(onlyPayment(t, w), je); got != "10.00" {
		t.Errorf("payment applies %q to journal entry %s of the older link form, want 10.00", got, je)
	}
}
