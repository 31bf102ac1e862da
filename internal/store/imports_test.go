package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/qbosync/qbosync/internal/store"
)

// The import records of payments recorded in QuickBooks, on DynamoDB
// Local: written once per version (a concurrent writer loses), and only
// payments sent to billing count as imported, not the sync's own.
func TestImportedPaymentsOnDynamoDB(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	exported := store.ImportedPayment{RealmID: "9130", QBOID: "7", SyncToken: "0", EventType: "exported"}
	if err := s.PutImportedPayment(ctx, "acme", exported, nil); err != nil {
		t.Fatal(err)
	}
	if has, err := s.HasImportedPayments(ctx, "acme"); err != nil || has {
		t.Fatalf("with only the sync's payment: imported = %v, %v; want false", has, err)
	}
	created := store.ImportedPayment{RealmID: "9130", QBOID: "8", SyncToken: "0", EventType: "quickbooks.payment.created",
		CustomerID: "cus_1", InvoiceIDs: []string{"inv_1"}}
	if err := s.PutImportedPayment(ctx, "acme", created, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutImportedPayment(ctx, "acme", created, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second first write: err = %v, want ErrConflict", err)
	}
	if has, err := s.HasImportedPayments(ctx, "acme"); err != nil || !has {
		t.Errorf("after an import: imported = %v, %v; want true", has, err)
	}
	if has, _ := s.HasImportedPayments(ctx, "globex"); has {
		t.Error("another tenant sees acme's import")
	}
	got, err := s.ImportedPayment(ctx, "acme", "9130", "8")
	if err != nil || got.SyncToken != "0" || len(got.InvoiceIDs) != 1 || got.InvoiceIDs[0] != "inv_1" {
		t.Errorf("read back %+v %v", got, err)
	}
	updated := got
	updated.SyncToken, updated.EventType = "1", "quickbooks.payment.updated"
	if err := s.PutImportedPayment(ctx, "acme", updated, &got); err != nil {
		t.Fatal(err)
	}
	if err := s.PutImportedPayment(ctx, "acme", updated, &got); !errors.Is(err, store.ErrConflict) {
		t.Errorf("an update from a stale read: err = %v, want ErrConflict", err)
	}
}
