package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/store"
)

// fleetTenant is one tenant of a multi-tenant run: a connected company
// with a product and the customers its invoices name.
type fleetTenant struct {
	*backfill
	// posted is when each invoice of the tenant's live traffic was posted,
	// answered how long its webhook took to answer.
	mu       sync.Mutex
	posted   map[string]time.Time
	answered []time.Duration
}

// newFleet creates n connected tenants named prefix001…, each with a
// product, four at a time (each connect is an OAuth round trip), and
// drains the stack.
func newFleet(t *testing.T, s *devstack.Stack, prefix string, n, customers, invoices int) []*fleetTenant {
	out := make([]*fleetTenant, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			e := newTenant(t, s, fmt.Sprintf("%s%03d", prefix, i+1))
			e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Bench plan"))
			out[i] = &fleetTenant{backfill: &backfill{t: t, s: s, e: e, customers: customers, invoices: invoices},
				posted: map[string]time.Time{}}
		})
	}
	wg.Wait()
	out[0].e.drain()
	return out
}

// syncedOf returns how many of tenant's entities are synced, the product
// left out.
func syncedOf(s *devstack.Stack, tenant string) (int, error) {
	c, err := s.Store().Counts(context.Background(), tenant)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range billing.Kinds {
		n += int(c[k][store.StatusSynced])
	}
	return n - 1, nil
}

// liveInvoices posts one invoice a second for tenant until stop closes,
// remembering when each was posted.
func (f *fleetTenant) liveInvoices(stop <-chan struct{}, errs chan<- error) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		id := fmt.Sprintf("live_%d", i)
		f.mu.Lock()
		f.posted[id] = time.Now()
		f.mu.Unlock()
		// A billing system's live events are for many customers: each
		// message group (one customer) sees one every few seconds.
		data := invoice(id, 1, fmt.Sprintf("cus_%d", i%f.customers), fmt.Sprintf("L-%d", i), "posted",
			line{id: "l1", product: "prod_1", qty: "1", unit: 900, tax: 0})
		sent := time.Now()
		err := f.postOne("evt_live_"+id, "invoice.created", data)
		f.mu.Lock()
		f.answered = append(f.answered, time.Since(sent))
		f.mu.Unlock()
		if err != nil {
			select {
			case errs <- err:
			default:
			}
			return
		}
	}
}

// latencies returns webhook → QuickBooks times of the tenant's live
// invoices (to the write of the link after QuickBooks created each) and
// how many never linked.
func (f *fleetTenant) latencies() ([]time.Duration, int) {
	var out []time.Duration
	unsynced := 0
	for id, at := range f.posted {
		link, err := f.s.Store().Link(context.Background(), f.e.tenant, billing.KindInvoice, id)
		if err != nil || !link.Linked() {
			unsynced++
			continue
		}
		out = append(out, link.UpdatedAt.Sub(at))
	}
	return out, unsynced
}

// lastLinkedEntity returns when the tenant's last customer or invoice of a
// backfill linked, and which it was.
func (f *fleetTenant) lastLinkedEntity() (time.Time, string, error) {
	var last time.Time
	var which string
	check := func(kind billing.Kind, id string) error {
		link, err := f.s.Store().Link(context.Background(), f.e.tenant, kind, id)
		if err != nil {
			return fmt.Errorf("%s %s/%s: %w", f.e.tenant, kind, id, err)
		}
		if !link.Linked() {
			return fmt.Errorf("%s %s/%s is not linked", f.e.tenant, kind, id)
		}
		if link.UpdatedAt.After(last) {
			last, which = link.UpdatedAt, string(kind)+"/"+id
		}
		return nil
	}
	for i := range f.customers {
		if err := check(billing.KindCustomer, fmt.Sprintf("cus_%d", i)); err != nil {
			return last, which, err
		}
	}
	for i := range f.invoices {
		if err := check(billing.KindInvoice, fmt.Sprintf("inv_%d", i)); err != nil {
			return last, which, err
		}
	}
	return last, which, nil
}

// postBackfill posts the tenant's customers, then its invoices, from
// senders senders.
func (b *backfill) postBackfill(senders int) error {
	err := b.postAll(b.customers, senders, func(i int) (string, any) {
		return "customer.created", customer(fmt.Sprintf("cus_%d", i), 1, fmt.Sprintf("Bench Customer %d", i), fmt.Sprintf("c%d@bench.example", i))
	})
	if err != nil {
		return err
	}
	return b.postAll(b.invoices, senders, func(i int) (string, any) { return "invoice.created", b.invoice("inv", i) })
}
