package syncer_test

import (
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/syncer"
)

// An invoice whose customer billing sent but whose own sync has stood
// queued for longer than a sync waits (a backlog) syncs the customer
// itself and then the invoice, instead of recording that it waits; one
// whose customer arrived moments ago, its sync maybe under way, waits
// for it as before.
func TestChildSyncsAParentThatStoodQueued(t *testing.T) {
	for _, tc := range []struct {
		name     string
		queued   time.Duration
		customer record.Status
		invoice  record.Status
	}{
		{"queued a minute", time.Minute, record.StatusSynced, record.StatusSynced},
		{"queued moments ago", 5 * time.Second, record.StatusNotTried, record.StatusWaiting},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := w.config(func(string) syncer.QBO { return w.books })
			cfg.Now = func() time.Time { return clock.Add(tc.queued) }
			w.engine = syncer.New(cfg)
			w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
			w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))
			if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
				t.Fatal(err)
			}
			if st := w.entity(billing.KindCustomer, "cus_1"); st.Status != tc.customer {
				t.Errorf("customer %s %+v, want %s", st.Status, st.Warning, tc.customer)
			}
			if st := w.entity(billing.KindInvoice, "inv_1"); st.Status != tc.invoice {
				t.Errorf("invoice %s %+v (waiting on %q), want %s", st.Status, st.Warning, st.WaitingOn, tc.invoice)
			}
			invs, err := qbofake.All[qbo.Invoice](w.books)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1}[tc.invoice == record.StatusSynced]; len(invs) != want {
				t.Errorf("QuickBooks holds %d invoices, want %d", len(invs), want)
			}
			// The customer's own message, delivered later, finds it synced
			// and creates nothing more.
			if err := w.sync(billing.KindCustomer, "cus_1"); err != nil {
				t.Fatal(err)
			}
			if n := w.books.Created("Customer"); n != 1 {
				t.Errorf("%d customers created in QuickBooks, want 1", n)
			}
		})
	}
}
