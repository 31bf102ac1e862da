package qbo_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
)

// CDC returns what changed since a time, by entity, deleted transactions
// as stubs; what changed before it is not returned.
func TestCDCReturnsChangesSince(t *testing.T) {
	c, co, _ := simClient(t)
	ctx := context.Background()
	cus, err := qbo.Create(ctx, c, co.RealmID, qbo.Customer{DisplayName: "CDC Customer"}, "")
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := qbo.Query[qbo.Account](ctx, c, co.RealmID, "select * from Account where AccountType = 'Income'")
	if err != nil || len(accounts) == 0 {
		t.Fatalf("income accounts: %v %v", accounts, err)
	}
	item, err := qbo.Create(ctx, c, co.RealmID, qbo.Item{Name: "CDC plan", Type: "Service", IncomeAccountRef: &qbo.Ref{Value: accounts[0].ID}}, "")
	if err != nil {
		t.Fatal(err)
	}
	memo, err := qbo.Create(ctx, c, co.RealmID, qbo.CreditMemo{CustomerRef: &qbo.Ref{Value: cus.ID},
		Line: []qbo.Line{{Amount: "5.00", DetailType: qbo.SalesItemLine, SalesItemLineDetail: &qbo.SalesItemLineDetail{ItemRef: &qbo.Ref{Value: item.ID}, Qty: "1", UnitPrice: "5.00"}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := qbo.Delete(ctx, c, co.RealmID, memo, ""); err != nil {
		t.Fatal(err)
	}
	ch, err := c.CDC(ctx, co.RealmID, []string{"Customer", "CreditMemo", "Invoice"}, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch["Customer"]) < 1 || len(ch["CreditMemo"]) != 1 || len(ch["Invoice"]) != 0 {
		t.Fatalf("changes = %d customers, %d credit memos, %d invoices; want the customer and the deleted memo",
			len(ch["Customer"]), len(ch["CreditMemo"]), len(ch["Invoice"]))
	}
	var stub struct {
		ID     string `json:"Id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(ch["CreditMemo"][0], &stub); err != nil || stub.ID != memo.ID || stub.Status != "Deleted" {
		t.Errorf("deleted memo = %s (%v), want a Deleted stub of %s", ch["CreditMemo"][0], err, memo.ID)
	}
	later, err := c.CDC(ctx, co.RealmID, []string{"Customer", "CreditMemo"}, time.Now().Add(time.Minute))
	if err != nil || later.Len() != 0 {
		t.Errorf("changes since a minute ahead = %d (%v), want none", later.Len(), err)
	}
}
