package qbobatch_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/throttle"
)

// heldBatches is a company whose schedule admits single calls at once and
// holds the first batch's admission until released is closed, as a busy
// batch schedule does.
type heldBatches struct {
	open
	waiting  chan struct{} // the first batch waits for admission
	released chan struct{}
	once     sync.Once
}

func (h *heldBatches) Admit(ctx context.Context, key string, p throttle.Policy, n int, now time.Time) (throttle.Grant, *throttle.Refusal, error) {
	if strings.HasSuffix(key, "/batch") {
		h.once.Do(func() {
			close(h.waiting)
			<-h.released
		})
	}
	return h.open.Admit(ctx, key, p, n, time.Now())
}

// Two syncs of one payment run at once (a deferred message resumed while
// the entity's next message runs): the first's create waits in a batch for
// the company's batch schedule while the second resends the stored intent
// as a retry. The retry finds no batch recorded and goes out alone; the
// batch must then not carry the same create a second time.
func TestRetryAloneWhileItsCreateWaitsInABatchCreatesOnce(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	sched := &heldBatches{waiting: make(chan struct{}), released: make(chan struct{})}
	b := &qbobatch.Batcher{Base: &throttle.Transport{Realms: sched}, Journal: &memJournal{}}
	round := b.Round()
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	ctx := context.Background()
	cus, err := qbo.Create(ctx, client, co.RealmID, qbo.Customer{DisplayName: "Ada"}, "req-ada")
	if err != nil {
		t.Fatal(err)
	}
	payment := func(note string) qbo.Payment {
		return qbo.Payment{CustomerRef: &qbo.Ref{Value: cus.ID}, TotalAmt: "12.50", PrivateNote: note}
	}

	var wg sync.WaitGroup
	for req, note := range map[string]string{"req-pay-1": "pay_1", "req-pay-2": "pay_2"} {
		mctx, leave := round.Join(ctx)
		wg.Go(func() {
			defer leave()
			if _, err := qbo.Create(mctx, client, co.RealmID, payment(note), req); err != nil {
				t.Errorf("%s's create in the batch: %v", note, err)
			}
		})
	}
	<-sched.waiting
	retried, err := qbo.Create(qbobatch.Retrying(ctx), client, co.RealmID, payment("pay_1"), "req-pay-1")
	if err != nil {
		t.Fatalf("the concurrent retry of pay_1's create: %v", err)
	}
	close(sched.released)
	wg.Wait()

	ps, err := qbo.Query[qbo.Payment](ctx, client, co.RealmID, "SELECT * FROM Payment")
	if err != nil {
		t.Fatal(err)
	}
	byNote := map[string][]string{}
	for _, p := range ps {
		byNote[p.PrivateNote] = append(byNote[p.PrivateNote], p.ID)
	}
	if len(byNote["pay_1"]) != 1 || len(byNote["pay_2"]) != 1 {
		t.Errorf("QuickBooks holds payments %v by note, want one for pay_1 and one for pay_2", byNote)
	}
	if retried.ID == "" || retried.PrivateNote != "pay_1" {
		t.Errorf("the retry answered %+v, want pay_1's payment", retried)
	}
}
