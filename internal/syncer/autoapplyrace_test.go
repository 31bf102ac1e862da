package syncer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/store/memstore"
	"github.com/qbosync/qbosync/internal/syncer"
)

// simCompany is the QuickBooks simulator over HTTP, with QuickBooks'
// defaults (automatic application of credits and payments on). Before
// the first call of an operation named in before is sent, its function
// runs: another sync's steps in between.
type simCompany struct {
	*qbo.Client
	realm  string
	mu     sync.Mutex
	before map[string]func()
}

func (c *simCompany) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	c.mu.Lock()
	fn := c.before[r.Op]
	delete(c.before, r.Op)
	c.mu.Unlock()
	if fn != nil {
		fn()
	}
	return c.Client.Do(ctx, r)
}

// runBefore arranges fn to run before the next call of op.
func (c *simCompany) runBefore(op string, fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.before[op] = fn
}

type simTokens struct{ co qbosimtest.Company }

func (s simTokens) Token(_ context.Context, tenant string, _ bool) (record.Connection, error) {
	return record.Connection{Tenant: tenant, RealmID: s.co.RealmID, AccessToken: s.co.AccessToken, Status: record.ConnConnected}, nil
}

// newSimWorld is a tenant connected to a new company of the simulator;
// its ledgers are left to the company's defaults.
func newSimWorld(t *testing.T) (*world, *simCompany) {
	t.Helper()
	url, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, url, "US", "")
	w := &world{t: t, store: &crashingStore{Store: memstore.New(func() time.Time { return clock })}, queue: &queue{}}
	err := w.store.CreateTenant(context.Background(), record.Tenant{ID: tenant, Name: "Acme",
		Settings: record.Settings{TaxMode: record.TaxUSOverride, CustomerMode: "auto"}})
	if err != nil {
		t.Fatal(err)
	}
	sim := &simCompany{Client: qbo.New(qbo.WithToken(nil, co.AccessToken), url), realm: co.RealmID, before: map[string]func(){}}
	cfg := w.config(func(string) syncer.QBO { return sim })
	cfg.Tokens = simTokens{co}
	w.engine = syncer.New(cfg)
	return w, sim
}

// untaxedInvoiceJSON is invoice inv_1 of 50.00 without tax.
const untaxedInvoiceJSON = `{"id":"inv_1","version":1,"customer_id":"cus_1","number":"INV-1","status":"posted",
	"issued_on":"2026-11-21","due_on":"2026-12-21","currency":"USD",
	"lines":[{"id":"li_1","description":"Basic plan","quantity":"1","unit_amount":5000,"amount":5000,
		"discount_amount":0,"tax_amount":0}],
	"subtotal":5000,"discount_total":0,"tax_total":0,"total":5000,"amount_due":5000}`

// wantSimOpen checks that the simulator holds invoice id open for its
// whole total.
func wantSimOpen(t *testing.T, sim *simCompany, id, total string) {
	t.Helper()
	inv, err := qbo.Read[qbo.Invoice](context.Background(), sim.Client, sim.realm, id)
	if err != nil {
		t.Fatal(err)
	}
	if inv.TotalAmt != json.Number(total) || inv.Balance != json.Number(total) {
		t.Errorf("invoice %s: total %s, balance %s; want %s open", id, inv.TotalAmt, inv.Balance, total)
	}
}

// simObjects reads every object of entity from the simulator.
func simObjects[T qbo.Entity](t *testing.T, sim *simCompany) []T {
	t.Helper()
	var zero T
	all, err := qbo.QueryAll[T](context.Background(), sim.Client, sim.realm, "select * from "+zero.EntityName())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// syncUntilDone delivers kind/id again, as its queue does, while its sync
// fails or is deferred, and wants it synced.
func (w *world) syncUntilDone(kind billing.Kind, id string, err error) {
	w.t.Helper()
	for i := 0; i < 3 && (err != nil || len(w.queue.deferred) > 0); i++ {
		w.queue.deferred = nil
		err = w.sync(kind, id)
	}
	if err != nil {
		w.t.Fatalf("%s %s: %v", kind, id, err)
	}
	if st := w.entity(kind, id); st.Status != record.StatusSynced {
		w.t.Fatalf("%s %s: status %s %+v, want synced", kind, id, st.Status, st.Warning)
	}
}

// Billing voids a store credit while the customer's new invoice is being
// synced. The credit's sync reads the memo (nothing applied yet); then
// the invoice is created and QuickBooks' automation applies the memo to
// it with a zero-amount payment of its own, which the invoice's sync
// reads to delete it; the memo's void comes first and empties that
// payment. The accountant must find no such payment left, empty or not:
// the invoice open for its whole total and the memo voided.
func TestCreditVoidedWhileQuickBooksAppliesItToANewInvoiceLeavesNoAutomaticPayment(t *testing.T) {
	w, sim := newSimWorld(t)
	w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
	w.syncOK(billing.KindCustomer, "cus_1")
	credit := func(version int64) string {
		return fmt.Sprintf(`{"id":"cr_1","version":%d,"customer_id":"cus_1","issued_on":"2026-11-20",
			"amount":2000,"currency":"USD","reason":"Goodwill","applications":[]}`, version)
	}
	w.receive(billing.KindCredit, "cr_1", "cus_1", 1, credit(1))
	w.syncOK(billing.KindCredit, "cr_1")
	memoID := w.link(billing.KindCredit, "cr_1").QBOID

	w.receiveVoid(billing.KindCredit, "cr_1", "cus_1", 2, credit(2))
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, untaxedInvoiceJSON)

	reached, voided := make(chan struct{}), make(chan struct{})
	invoiceDone := make(chan error, 1)
	sim.runBefore("void CreditMemo", func() {
		sim.runBefore("delete Payment", func() {
			close(reached)
			<-voided
		})
		go func() { invoiceDone <- w.sync(billing.KindInvoice, "inv_1") }()
		select {
		case <-reached:
		case <-time.After(10 * time.Second):
			t.Error("the invoice's sync never came to delete QuickBooks' payment")
		}
	})
	w.syncOK(billing.KindCredit, "cr_1")
	close(voided)
	w.syncUntilDone(billing.KindInvoice, "inv_1", <-invoiceDone)

	for _, p := range simObjects[qbo.Payment](t, sim) {
		if !strings.Contains(p.PrivateNote, "[billing ") {
			t.Errorf("payment %s (%q, total %s, %d lines) is in QuickBooks; billing has no such payment",
				p.ID, p.PrivateNote, p.TotalAmt, len(p.Line))
		}
	}
	wantSimOpen(t, sim, w.link(billing.KindInvoice, "inv_1").QBOID, "50.00")
	for _, m := range simObjects[qbo.CreditMemo](t, sim) {
		if m.ID == memoID && m.PrivateNote != "Voided" {
			t.Errorf("credit memo %s: %q, total %s; want it voided", m.ID, m.PrivateNote, m.TotalAmt)
		}
	}
	cust := simObjects[qbo.Customer](t, sim)
	if len(cust) != 1 || cust[0].Balance != "50.00" {
		t.Errorf("customers %+v, want one owing 50.00", cust)
	}
}

// The bookkeeper entered a credit memo in QuickBooks, and QuickBooks'
// automation applies it to billing's new invoice with a zero-amount
// payment. Just after the invoice's sync read that payment to delete it,
// the bookkeeper voids the memo: the payment is emptied and linked from
// no document. It must still be deleted, not left in the company, and
// the invoice stays open for its whole total.
func TestAutomaticPaymentEmptiedBeforeItsDeleteIsStillDeleted(t *testing.T) {
	w, sim := newSimWorld(t)
	ctx := context.Background()
	w.receive(billing.KindCustomer, "cus_1", "cus_1", 1, customerV1)
	w.syncOK(billing.KindCustomer, "cus_1")
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	items, err := qbo.QueryAll[qbo.Item](ctx, sim.Client, sim.realm, "select * from Item where Type = 'Service'")
	if err != nil || len(items) == 0 {
		t.Fatalf("items %v: %v", items, err)
	}
	memo, err := qbo.Create(ctx, sim.Client, sim.realm, qbo.CreditMemo{TxnDate: "2026-11-20", CustomerRef: &qbo.Ref{Value: cust},
		PrivateNote: "Goodwill, entered by the bookkeeper", Line: []qbo.Line{{Amount: "20.00", DetailType: qbo.SalesItemLine,
			SalesItemLineDetail: &qbo.SalesItemLineDetail{ItemRef: &qbo.Ref{Value: items[0].ID}, Qty: "1", UnitPrice: "20.00"}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, untaxedInvoiceJSON)

	sim.runBefore("delete Payment", func() {
		cur, err := qbo.Read[qbo.CreditMemo](ctx, sim.Client, sim.realm, memo.ID)
		if err == nil {
			_, err = qbo.Void(ctx, sim.Client, sim.realm, qbo.CreditMemo{ID: cur.ID, SyncToken: cur.SyncToken}, "")
		}
		if err != nil {
			t.Errorf("the bookkeeper's void: %v", err)
		}
	})
	w.syncUntilDone(billing.KindInvoice, "inv_1", w.sync(billing.KindInvoice, "inv_1"))

	for _, p := range simObjects[qbo.Payment](t, sim) {
		t.Errorf("payment %s (%q, total %s, %d lines) is in QuickBooks; neither billing nor the bookkeeper made it",
			p.ID, p.PrivateNote, p.TotalAmt, len(p.Line))
	}
	wantSimOpen(t, sim, w.link(billing.KindInvoice, "inv_1").QBOID, "50.00")
}
