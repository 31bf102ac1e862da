package syncer_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/syncer"
)

// heldWrite holds the first QuickBooks request named op until release is
// closed; every later one goes through.
type heldWrite struct {
	*qbofake.Company
	op      string
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (c *heldWrite) Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error) {
	if r.Op == c.op {
		first := false
		c.once.Do(func() { first = true })
		if first {
			close(c.reached)
			<-c.release
		}
	}
	return c.Company.Do(ctx, r)
}

func customerJSON(version int64, name string) string {
	return fmt.Sprintf(`{"id":"cus_1","version":%d,"display_name":%q,"email":"billing@acme.example","currency":"USD"}`, version, name)
}

// Two syncs of one customer at once (a bunch's seat and the customer's
// next message): the seat's update of the older version reaches
// QuickBooks only after the newer version was synced and recorded, and
// the seat waits for its own message. When that message comes back,
// QuickBooks must end with the newer version, as the entity's status
// says.
func TestSeatsOlderUpdateLandingAfterTheNewerOneIsSyncedAgain(t *testing.T) {
	w := newWorld(t)
	books := &heldWrite{Company: w.books, op: "update Customer", reached: make(chan struct{}), release: make(chan struct{})}
	w.engine = syncer.New(w.config(func(string) syncer.QBO { return books }))
	qid := withCustomer(w)
	w.receive(billing.KindCustomer, "cus_1", "cus_1", 2, customerJSON(2, "Acme Corp v2"))
	older := make(chan error, 1)
	go func() { older <- w.sync(billing.KindCustomer, "cus_1") }()
	<-books.reached
	w.receive(billing.KindCustomer, "cus_1", "cus_1", 3, customerJSON(3, "Acme Corp v3"))
	if err := w.sync(billing.KindCustomer, "cus_1"); err != nil {
		t.Fatalf("the newer version's sync: %v", err)
	}
	close(books.release)
	if err := <-older; err != nil {
		t.Fatalf("the older version's sync: %v", err)
	}
	// A seat that must wait sends nothing: its own message, seated at
	// version 2, comes back after the turn.
	own := change.Message{Tenant: tenant, Kind: billing.KindCustomer, ID: "cus_1", CustomerID: "cus_1", Version: 2,
		Reason: "webhook", Seated: clock.UnixMilli()}
	if err := w.engine.Handle(context.Background(), own); err != nil {
		t.Fatalf("the seat's own message: %v", err)
	}
	var name any
	if err := w.books.Edit("Customer", qid, func(m map[string]any) { name = m["DisplayName"] }); err != nil {
		t.Fatal(err)
	}
	st := w.entity(billing.KindCustomer, "cus_1")
	if name != "Acme Corp v3" || st.Status != record.StatusSynced || st.StatusVersion != 3 {
		t.Errorf("QuickBooks holds %q, the entity is %s at version %d; want %q, synced at version 3", name, st.Status, st.StatusVersion, "Acme Corp v3")
	}
}
