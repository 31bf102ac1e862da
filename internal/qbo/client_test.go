package qbo

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type ctxKey struct{}

func TestObserverAndCallHook(t *testing.T) {
	f, c := newFake(t,
		reply{status: 200, body: fixture(t, "responses/invoice.json"), header: map[string]string{"intuit_tid": "tid-create"}},
		reply{status: 429, body: fixture(t, "faults/throttle_429.xml"), header: map[string]string{"intuit_tid": "tid-throttle"}},
		reply{status: 200, body: fixture(t, "responses/query_account.json"), header: map[string]string{"intuit_tid": "tid-query"}},
	)
	type observed struct {
		op     string
		status int
	}
	var (
		mu       sync.Mutex
		observes []observed
		calls    []Call
		tenants  []any
	)
	c = New(c.hc, c.base,
		WithObserver(func(op string, status int, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if d <= 0 {
				t.Errorf("duration %v", d)
			}
			observes = append(observes, observed{op, status})
		}),
		WithCallHook(func(ctx context.Context, call Call) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, call)
			tenants = append(tenants, ctx.Value(ctxKey{}))
		}))
	ctx := context.WithValue(context.Background(), ctxKey{}, "tenant-a")
	if _, err := Create(ctx, c, testRealm, sampleInvoice(), "rid-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, c, testRealm, Invoice{ID: "130", SyncToken: "0"}, "rid-2"); !IsThrottled(err) {
		t.Fatalf("err = %v, want throttled", err)
	}
	if _, err := Query[Account](ctx, c, testRealm, "select * from Account"); err != nil {
		t.Fatal(err)
	}

	wantObserved := []observed{{"create Invoice", 200}, {"update Invoice", 429}, {"query Account", 200}}
	if diff := cmp.Diff(wantObserved, observes, cmp.AllowUnexported(observed{})); diff != "" {
		t.Errorf("observer (-want +got):\n%s", diff)
	}
	wantCalls := []Call{
		{Op: "create Invoice", RealmID: testRealm, RequestID: "rid-1", Status: 200, IntuitTID: "tid-create"},
		{Op: "update Invoice", RealmID: testRealm, RequestID: "rid-2", Status: 429, IntuitTID: "tid-throttle"},
		{Op: "query Account", RealmID: testRealm, Status: 200, IntuitTID: "tid-query"},
	}
	if diff := cmp.Diff(wantCalls, calls, cmpopts.IgnoreFields(Call{}, "Duration", "Err")); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if calls[0].Err != nil || calls[2].Err != nil || !IsThrottled(calls[1].Err) {
		t.Errorf("call errors %v, %v, %v", calls[0].Err, calls[1].Err, calls[2].Err)
	}
	if diff := cmp.Diff([]any{"tenant-a", "tenant-a", "tenant-a"}, tenants); diff != "" {
		t.Errorf("hook contexts (-want +got):\n%s", diff)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestObserverSeesTransportFailure(t *testing.T) {
	var got []int
	c := New(nil, "http://127.0.0.1:1", WithObserver(func(op string, status int, d time.Duration) {
		got = append(got, status)
	}))
	_, err := Read[Customer](context.Background(), c, testRealm, "1")
	if !IsTemporary(err) || len(got) != 1 || got[0] != 0 {
		t.Errorf("err %v, observed %v; want one call with status 0", err, got)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "read Customer" {
		t.Errorf("err %#v", err)
	}
}
