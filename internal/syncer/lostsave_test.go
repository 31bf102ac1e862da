package syncer_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/syncer"
)

// refundFirst is the fake company where, just before the payment's next
// update reaches QuickBooks, refund ref_1 syncs on its own queue: it
// books its journal entry and writes the payment with a line for it.
type refundFirst struct {
	*qbofake.Company
	w     *world
	armed atomic.Bool
}

func (c *refundFirst) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	if r.Op == "update Payment" && c.armed.CompareAndSwap(true, false) {
		if err := c.w.sync(billing.KindRefund, "ref_1"); err != nil {
			c.w.t.Error(err)
		}
	}
	return c.Company.Do(ctx, r)
}

// Billing changes the payment's reference while a refund of it syncs.
// The payment's sync built its payload before the refund's entry was on
// its link, so its write is refused as stale, retried, and takes the
// refund's line off the payment in QuickBooks; its link save then loses
// to the refund's. The next delivery must write the payment again with
// the refund's line: QuickBooks holds the loser's write, not the hash
// the winner saved.
func TestPaymentWrittenOverARefundsLineIsWrittenAgain(t *testing.T) {
	w := newWorld(t)
	withInvoice(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentWithCredit)
	w.syncOK(billing.KindPayment, "pay_1")
	books := &refundFirst{Company: w.books, w: w}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return books }))
	v2 := strings.NewReplacer(`"version":1`, `"version":2`, `"reference":"ch_1"`, `"reference":"ch_1b"`).Replace(paymentWithCredit)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 2, v2)
	w.receive(billing.KindRefund, "ref_1", "cus_1", 1, refundV1)
	books.armed.Store(true)

	_ = w.sync(billing.KindPayment, "pay_1") // its link save loses: retried
	w.syncOK(billing.KindPayment, "pay_1")

	pay := onlyPayment(t, w)
	je := w.link(billing.KindRefund, "ref_1").QBOID
	if got := journalLine(pay, je); got != "10.00" || pay.UnappliedAmt != "7.08" || pay.PaymentRefNum != "ch_1b" {
		t.Errorf("payment applies %q to the refund's entry, %s unapplied, reference %s; want 10.00, 7.08, ch_1b",
			got, pay.UnappliedAmt, pay.PaymentRefNum)
	}
}
