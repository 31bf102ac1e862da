package qbofake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbo/qbofake"
)

// The rules exactly-once depends on, as the client sees them.
func TestCompanyKeepsQuickBooksRules(t *testing.T) {
	ctx := context.Background()
	c := qbofake.New()
	inv := qbo.Invoice{DocNumber: "INV-1", Line: []qbo.Line{
		{Amount: "49.00", DetailType: qbo.SalesItemLine}, {Amount: "4.90", DetailType: qbo.DiscountLine}},
		TxnTaxDetail: &qbo.TxnTaxDetail{TotalTax: "3.53"}}
	first, err := qbo.Create(ctx, c, "9130", inv, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if first.TotalAmt != "47.63" || first.Balance != "47.63" || first.SyncToken != "0" {
		t.Errorf("created %+v, want total and balance 47.63 at SyncToken 0", first)
	}
	inv.DocNumber = "INV-2"
	again, err := qbo.Create(ctx, c, "9130", inv, "req-1")
	if err != nil || again.ID != first.ID || again.DocNumber != "INV-1" || c.Created("Invoice") != 1 {
		t.Errorf("the same requestid again: %+v, %v (%d created); want the first answer replayed", again, err, c.Created("Invoice"))
	}

	stale, _ := qbo.WithIdentity(qbo.Invoice{DocNumber: "INV-1b"}, first.ID, "7", true)
	if _, err := qbo.Update(ctx, c, "9130", stale, "req-2"); !qbo.IsStale(err) {
		t.Errorf("update at a passed SyncToken: %v, want a stale-object fault", err)
	}
	fresh, _ := qbo.WithIdentity(qbo.Invoice{DocNumber: "INV-1b"}, first.ID, "0", true)
	updated, err := qbo.Update(ctx, c, "9130", fresh, "req-3")
	if err != nil || updated.SyncToken != "1" || updated.DocNumber != "INV-1b" || updated.TotalAmt != "47.63" {
		t.Errorf("sparse update: %+v, %v; want DocNumber changed, lines kept, SyncToken 1", updated, err)
	}

	if _, err := qbo.Create(ctx, c, "9130", qbo.Customer{DisplayName: "O'Brien"}, "req-4"); err != nil {
		t.Fatal(err)
	}
	_, err = qbo.Create(ctx, c, "9130", qbo.Customer{DisplayName: "o'brien"}, "req-5")
	var qe *qbo.Error
	if !errors.As(err, &qe) || !qe.Validation() || !qe.DuplicateName() {
		t.Errorf("a second customer of the name: %v, want 6240", err)
	}
	found, err := qbo.Query[qbo.Customer](ctx, c, "9130",
		"select * from Customer where "+qbo.NameIn("DisplayName", "O'Brien")+" and Active in (true, false)")
	if err != nil || len(found) != 1 {
		t.Errorf("query by name: %+v, %v; want the one customer", found, err)
	}

	c.Fail("create Payment", qbofake.AnswerLost)
	if _, err := qbo.Create(ctx, c, "9130", qbo.Payment{TotalAmt: "10.00"}, "req-6"); !qbo.IsTemporary(err) {
		t.Errorf("answer lost: %v, want a temporary error", err)
	}
	if pays, _ := qbofake.All[qbo.Payment](c); len(pays) != 1 || pays[0].UnappliedAmt != "10.00" {
		t.Errorf("after the lost answer QuickBooks holds %+v, want the payment, all unapplied", pays)
	}
}
