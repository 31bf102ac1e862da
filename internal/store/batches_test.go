package store_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/qbobatch"
)

// A full QuickBooks batch of 30 creates is recorded on DynamoDB Local (two
// BatchWriteItem calls) and each create finds it again, byte for byte and
// with its own bId, for no other company.
func TestBatchJournalFindsTheBatchOfEachCreate(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	body := []byte(`{"BatchItemRequest":[` + strings.Repeat(`{"bId":"1","operation":"create","Customer":{"DisplayName":"Ada"}},`, 29) + `{}]}`)
	sent := qbobatch.Sent{Realm: "9130", RequestID: "b7e1c3", Body: body, Creates: map[string]string{}}
	for i := range 30 {
		sent.Creates[fmt.Sprintf("req-%02d", i)] = fmt.Sprint(i + 1)
	}
	if err := s.RecordBatch(ctx, sent); err != nil {
		t.Fatal(err)
	}
	for id, bID := range sent.Creates {
		got, ok, err := s.BatchCarrying(ctx, "9130", id)
		if err != nil || !ok || got.RequestID != "b7e1c3" || !bytes.Equal(got.Body, body) || got.Creates[id] != bID {
			t.Fatalf("batch carrying %s: ok %v, err %v, requestid %q, bId %q, body equal %v; want the recorded batch, bId %s",
				id, ok, err, got.RequestID, got.Creates[id], bytes.Equal(got.Body, body), bID)
		}
	}
	if _, ok, err := s.BatchCarrying(ctx, "7777", "req-01"); ok || err != nil {
		t.Errorf("another company's lookup: ok %v, err %v; want nothing", ok, err)
	}
}
