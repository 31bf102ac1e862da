package qbobatch_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
)

func addFault(t *testing.T, base, realm, rule string) {
	t.Helper()
	resp, err := http.Post(base+"/_sim/companies/"+realm+"/faults", "application/json", bytes.NewBufferString(rule))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add fault %s: %s", rule, resp.Status)
	}
}

func customers(t *testing.T, client *qbo.Client, realm string) []qbo.Customer {
	t.Helper()
	cs, err := qbo.Query[qbo.Customer](context.Background(), client, realm, "SELECT * FROM Customer")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Two customers are created in one batch whose answer is lost after
// QuickBooks committed it. One is renamed in billing before its sync
// retries, so a lookup by its new name finds nothing and the retry sends
// the create again with its requestid. QuickBooks must end with one
// customer for it, and the retry's answer must be the customer the lost
// batch created.
func TestLostBatchAnswerCreatesOnceAfterRename(t *testing.T) {
	base, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, base, "", "")
	b := &qbobatch.Batcher{}
	client := qbo.New(qbo.WithToken(&http.Client{Transport: b}, co.AccessToken), base)
	ctx := context.Background()
	addFault(t, base, co.RealmID, `{"operation":"batch","drop_response":true}`)

	var wg sync.WaitGroup
	for req, name := range map[string]string{"req-ada": "Ada", "req-grace": "Grace"} {
		mctx, leave := b.Join(ctx)
		wg.Go(func() {
			defer leave()
			if _, err := qbo.Create(mctx, client, co.RealmID, qbo.Customer{DisplayName: name}, req); err == nil {
				t.Errorf("%s: created, want the batch's lost answer", name)
			}
		})
	}
	wg.Wait()
	if n := len(customers(t, client, co.RealmID)); n != 2 {
		t.Fatalf("after the lost batch QuickBooks holds %d customers, want the 2 it committed", n)
	}

	retried, err := qbo.Create(ctx, client, co.RealmID, qbo.Customer{DisplayName: "Ada Lovelace"}, "req-ada")
	if err != nil {
		t.Fatalf("retry of Ada's create: %v", err)
	}
	got := customers(t, client, co.RealmID)
	if len(got) != 2 {
		var names []string
		for _, c := range got {
			names = append(names, c.DisplayName)
		}
		t.Errorf("QuickBooks holds %d customers after the retry, want 2: %q", len(got), names)
	}
	if retried.DisplayName != "Ada" {
		t.Errorf("the retry answered %q (id %s), want the customer the lost batch created, Ada", retried.DisplayName, retried.ID)
	}
}
