package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/qbobatch"
)

// A full QuickBooks batch of 30 creates is recorded on DynamoDB Local and
// each create finds it again, byte for byte and with its own bId, for no
// other company.
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

// A create claimed for a send alone (a retry while its first attempt
// waits in a batch) cancels the record of a batch carrying it: the batch
// is told which create another send holds and nothing of it is stored,
// so no create of it can replay a batch that never went out. A create
// claimed by a batch first is answered with that batch.
func TestBatchRecordRefusesACreateClaimedAlone(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, batched, err := s.ClaimAlone(ctx, "9130", "req-b"); batched || err != nil {
		t.Fatalf("claim req-b alone: batched %v, err %v; want claimed", batched, err)
	}
	sent := qbobatch.Sent{Realm: "9130", RequestID: "c0ffee", Body: []byte(`{"BatchItemRequest":[]}`),
		Creates: map[string]string{"req-a": "1", "req-b": "2"}}
	var claimed *qbobatch.ClaimedError
	if err := s.RecordBatch(ctx, sent); !errors.As(err, &claimed) || fmt.Sprint(claimed.RequestIDs) != "[req-b]" {
		t.Fatalf("record a batch carrying req-b: %v, want req-b claimed by another send", err)
	}
	for id := range sent.Creates {
		if got, ok, err := s.BatchCarrying(ctx, "9130", id); ok || err != nil {
			t.Errorf("%s: carried by %q (err %v), want no batch", id, got.RequestID, err)
		}
	}
	if _, batched, err := s.ClaimAlone(ctx, "9130", "req-b"); batched || err != nil {
		t.Errorf("claim req-b alone again: batched %v, err %v; want it still alone", batched, err)
	}

	sent = qbobatch.Sent{Realm: "9130", RequestID: "d00d", Body: []byte(`{"BatchItemRequest":[{"bId":"1"}]}`),
		Creates: map[string]string{"req-a": "1"}}
	if err := s.RecordBatch(ctx, sent); err != nil {
		t.Fatal(err)
	}
	got, batched, err := s.ClaimAlone(ctx, "9130", "req-a")
	if err != nil || !batched || got.RequestID != "d00d" || !bytes.Equal(got.Body, sent.Body) || got.Creates["req-a"] != "1" {
		t.Errorf("claim req-a alone after its batch: %+v, batched %v, err %v; want batch d00d", got, batched, err)
	}
}
