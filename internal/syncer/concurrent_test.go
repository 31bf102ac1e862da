package syncer_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/syncer"
	"github.com/qbosync/qbosync/internal/throttle"
)

// interleaved is the fake company under two syncs of one entity at once
// (a deferred message resumed while the entity's next message runs): the
// first create is held until the second create has reached QuickBooks,
// and is then turned away unsent by the company's schedule; the second's
// answer is held until the first sync has finished.
type interleaved struct {
	*qbofake.Company
	mu       sync.Mutex
	creates  int
	aSending chan struct{} // the first create is in flight
	bSent    chan struct{} // the second create reached QuickBooks
	aDone    chan struct{} // the first sync has finished
}

func (c *interleaved) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	if r.Op != "create Invoice" {
		return c.Company.Do(ctx, r)
	}
	c.mu.Lock()
	c.creates++
	n := c.creates
	c.mu.Unlock()
	switch n {
	case 1:
		close(c.aSending)
		<-c.bSent
		return nil, &qbo.Error{Op: r.Op, Err: &throttle.Error{Realm: r.RealmID, Until: clock.Add(time.Second)}}
	case 2:
		env, err := c.Company.Do(ctx, r)
		close(c.bSent)
		<-c.aDone
		return env, err
	}
	return c.Company.Do(ctx, r)
}

// One sync's create is kept back by the schedule while another sync of
// the same entity resends that create's request and QuickBooks applies
// it: the first must not declare the request unsent (and a later attempt
// create the invoice again under a new requestid).
func TestCreateResentByAConcurrentSyncIsNotCreatedTwice(t *testing.T) {
	w := newWorld(t)
	books := &interleaved{Company: w.books, aSending: make(chan struct{}), bSent: make(chan struct{}), aDone: make(chan struct{})}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return books }))
	withCustomer(w)
	w.receive(billing.KindInvoice, "inv_1", "cus_1", 1, invoiceJSON(1, 1))

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(books.aDone)
		_ = w.sync(billing.KindInvoice, "inv_1") // deferred or failed: delivered again
	}()
	<-books.aSending
	go func() {
		defer wg.Done()
		_ = w.sync(billing.KindInvoice, "inv_1")
	}()
	wg.Wait()
	for i := 0; i < 3 && w.entity(billing.KindInvoice, "inv_1").Status != record.StatusSynced; i++ {
		if err := w.sync(billing.KindInvoice, "inv_1"); err != nil {
			t.Fatalf("redelivery %d: %v", i+1, err)
		}
	}
	if st := w.entity(billing.KindInvoice, "inv_1"); st.Status != record.StatusSynced {
		t.Errorf("status %s %+v, want synced", st.Status, st.Warning)
	}
	invs, err := qbofake.All[qbo.Invoice](w.books)
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 1 || w.books.Created("Invoice") != 1 {
		t.Fatalf("QuickBooks holds %d invoices (%d ever created), want exactly 1", len(invs), w.books.Created("Invoice"))
	}
	if l := w.link(billing.KindInvoice, "inv_1"); !l.Linked() || l.QBOID != invs[0].ID {
		t.Errorf("link = %+v, want linked to %s", l, invs[0].ID)
	}
}

// changedUnder is the fake company under a payment's sync while its
// refund is voided concurrently: just before the payment's update is
// applied, change runs (the refund's sync releases the journal entry on
// the payment's link and deletes it), and QuickBooks refuses the update
// for the line that still links the deleted entry.
type changedUnder struct {
	*qbofake.Company
	once   sync.Once
	change func()
}

func (c *changedUnder) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	refuse := false
	if r.Op == "update Payment" {
		c.once.Do(func() { c.change(); refuse = true })
	}
	if refuse {
		return qbo.Parse(r.Op, 400, []byte(`{"Fault":{"type":"ValidationFault","Error":[{"code":"2500",`+
			`"Message":"Invalid Reference Id","Detail":"Invalid Reference Id : JournalEntry 77 assigned to Line[1].LinkedTxn does not exist or has been deleted."}]}}`))
	}
	return c.Company.Do(ctx, r)
}

// QuickBooks refuses a payment's write because what it was built from
// changed meanwhile (the refund it applies was voided by another sync):
// the refusal is not the payment's fault, so it is not shown as final;
// the sync is retried soon and writes the payment as billing has it now.
func TestRefusalOfAWriteBuiltFromAChangedLinkIsRetried(t *testing.T) {
	w := newWorld(t)
	inv := withInvoice(w)
	cust := w.link(billing.KindCustomer, "cus_1").QBOID
	const payment = `{"id":"pay_1","version":2,"customer_id":"cus_1","received_on":"2026-11-22","amount":6292,
		"currency":"USD","method":"card","reference":"ch_1","applications":[{"invoice_id":"inv_1","amount":5292}]}`
	w.receive(billing.KindPayment, "pay_1", "cus_1", 2, payment)
	w.linked(billing.KindPayment, "pay_1", qbo.Payment{CustomerRef: &qbo.Ref{Value: cust}, TotalAmt: "62.92",
		PrivateNote: "[billing acme/payment pay_1]",
		Line:        []qbo.Line{{Amount: "52.92", LinkedTxn: []qbo.LinkedTxn{{TxnID: inv, TxnType: "Invoice"}}}}})
	l := w.link(billing.KindPayment, "pay_1")
	l.Extra = map[string]string{"refund:ref_1": "77|1000"}
	if _, err := w.store.PutLink(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	books := &changedUnder{Company: w.books, change: func() {
		l := w.link(billing.KindPayment, "pay_1")
		delete(l.Extra, "refund:ref_1")
		if _, err := w.store.PutLink(context.Background(), l); err != nil {
			t.Error(err)
		}
	}}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return books }))

	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status == record.StatusWarning || len(w.queue.deferred) != 1 {
		t.Fatalf("status %s %+v, deferred %d times; want retried soon, not shown as refused", st.Status, st.Warning, len(w.queue.deferred))
	}
	if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
		t.Fatal(err)
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Status != record.StatusSynced {
		t.Fatalf("status %s %+v, want synced", st.Status, st.Warning)
	}
	pays, _ := qbofake.All[qbo.Payment](w.books)
	if len(pays) != 1 || len(pays[0].Line) != 1 || pays[0].TotalAmt != "62.92" {
		t.Errorf("payments = %+v, want one of 62.92 applying only the invoice", pays)
	}
}

// voidDuringCreate is the fake company while billing voids a payment
// whose create is in flight: just before the create is applied, during
// runs (the void's own sync, on another worker).
type voidDuringCreate struct {
	*qbofake.Company
	once   sync.Once
	during func()
}

func (c *voidDuringCreate) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	if r.Op == "create Payment" {
		c.once.Do(c.during)
	}
	return c.Company.Do(ctx, r)
}

// Billing voids a payment while its create is on the way to QuickBooks:
// the void finds nothing to void yet, and the create lands after it. The
// payment must still end voided in QuickBooks, not live beside billing's
// void.
func TestVoidWhileTheCreateIsInFlightEndsVoided(t *testing.T) {
	w := newWorld(t)
	withInvoice(w)
	w.receive(billing.KindPayment, "pay_1", "cus_1", 1, paymentV1)
	books := &voidDuringCreate{Company: w.books, during: func() {
		err := w.store.PutSnapshot(context.Background(), record.Snapshot{Tenant: tenant, Kind: billing.KindPayment,
			ID: "pay_1", Version: 2, CustomerID: "cus_1", Action: billing.ActionVoided, EventID: "evt_void",
			OccurredAt: clock, ReceivedAt: clock, Data: []byte(strings.Replace(paymentV1, `"version":1`, `"version":2`, 1))})
		if err != nil {
			t.Error(err)
		}
		if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
			t.Errorf("the void's sync: %v", err)
		}
	}}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return books }))

	_ = w.sync(billing.KindPayment, "pay_1") // the create; deferred or failed: delivered again
	for i := 0; i < 3 && len(w.queue.deferred) > 0; i++ {
		w.queue.deferred = nil
		if err := w.sync(billing.KindPayment, "pay_1"); err != nil {
			t.Fatalf("redelivery %d: %v", i+1, err)
		}
	}
	pays, err := qbofake.All[qbo.Payment](w.books)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pays {
		if p.TotalAmt != "0" && p.TotalAmt != "0.00" {
			t.Errorf("payment %s is live in QuickBooks (total %s, note %q); billing voided it", p.ID, p.TotalAmt, p.PrivateNote)
		}
	}
	if st := w.entity(billing.KindPayment, "pay_1"); st.Version != 2 || st.Status != record.StatusSynced {
		t.Errorf("status %s of v%d, want the void (v2) synced", st.Status, st.Version)
	}
}
