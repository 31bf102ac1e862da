package syncer_test

import (
	"context"
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
