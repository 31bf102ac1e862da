package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/store"
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

// failingPuts is DynamoDB Local refusing single puts, as when the
// journal's last write fails.
type failingPuts struct{ store.DB }

func (failingPuts) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, errors.New("dynamodb: connection reset")
}

// A record cut short after its creates' pointers were written, before the
// batch itself, fails (so the batch is not sent) and names no batch to any
// of its creates: none may replay a batch that never went out.
func TestBatchRecordCutShortCarriesNothing(t *testing.T) {
	_, _, res := stack.ForTest(t)
	ctx := context.Background()
	sent := qbobatch.Sent{Realm: "9130", RequestID: "c0ffee", Body: []byte(`{"BatchItemRequest":[]}`),
		Creates: map[string]string{"req-a": "1", "req-b": "2"}}
	if err := store.New(failingPuts{stack.DynamoDB}, res.Table, nil).RecordBatch(ctx, sent); err == nil {
		t.Fatal("recorded, want the failed write's error")
	}
	s := store.New(stack.DynamoDB, res.Table, nil)
	for id := range sent.Creates {
		if got, ok, err := s.BatchCarrying(ctx, "9130", id); ok || err != nil {
			t.Errorf("%s: carried by %q (err %v), want no batch", id, got.RequestID, err)
		}
	}
}
