package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/qbobatch"
)

// batchMemory is how long a batch that carried creates is kept for their
// retries. Intuit does not say how long it remembers a requestid; a retry
// after this finds no batch and falls back to the lookup by natural key.
const batchMemory = 24 * time.Hour

// batchItem is one batch as sent (body gzipped); carriedItem points from
// a create's requestid to the batch that carried it.
type batchItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Body      []byte `dynamodbav:"body"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

type carriedItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Batch     string `dynamodbav:"batch,omitempty"` // empty: claimed for a send alone
	BID       string `dynamodbav:"bid,omitempty"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

func batchSK(id string) string   { return "BATCH#" + id }
func carriedSK(id string) string { return "BW#" + id }

// unclaimed is the condition of a create's claim: no send holds it, or
// the claim has expired and waits for its TTL deletion.
const unclaimed = "attribute_not_exists(pk) OR expires_at <= :now"

// RecordBatch stores b and claims each create it carries for it in one
// transaction (at most 31 items: Intuit's batch holds 30): a pointer per
// create, on the condition that no other send claimed it, and the batch's
// item. A create claimed before (a retry gone alone) cancels the whole
// record with a *qbobatch.ClaimedError naming it, so the batch is not
// sent as recorded.
func (s *Store) RecordBatch(ctx context.Context, b qbobatch.Sent) error {
	body, err := gzipBytes(b.Body)
	if err != nil {
		return fmt.Errorf("compress batch %s: %w", b.RequestID, err)
	}
	now := s.now()
	exp := now.Add(batchMemory).Unix()
	ids := slices.Sorted(maps.Keys(b.Creates))
	vals := map[string]types.AttributeValue{":now": num(now.Unix())}
	items := make([]types.TransactWriteItem, 0, len(ids)+1)
	for _, id := range ids {
		av, err := attributevalue.MarshalMap(carriedItem{PK: realmPK(b.Realm), SK: carriedSK(id), Batch: b.RequestID, BID: b.Creates[id], ExpiresAt: exp})
		if err != nil {
			return fmt.Errorf("encode batch %s: %w", b.RequestID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
			ConditionExpression: aws.String(unclaimed), ExpressionAttributeValues: vals}})
	}
	av, err := attributevalue.MarshalMap(batchItem{PK: realmPK(b.Realm), SK: batchSK(b.RequestID), Body: body, ExpiresAt: exp})
	if err != nil {
		return fmt.Errorf("encode batch %s: %w", b.RequestID, err)
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}})
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		var taken []string
		for i, r := range tc.CancellationReasons {
			if i < len(ids) && aws.ToString(r.Code) == "ConditionalCheckFailed" {
				taken = append(taken, ids[i])
			}
		}
		if len(taken) > 0 {
			return &qbobatch.ClaimedError{Batch: b.RequestID, RequestIDs: taken}
		}
	}
	if err != nil {
		return fmt.Errorf("record batch %s: %w", b.RequestID, err)
	}
	return nil
}

// ClaimAlone claims the create with requestID for a send on its own (one
// conditional put), or returns the batch that claimed it first.
func (s *Store) ClaimAlone(ctx context.Context, realm, requestID string) (qbobatch.Sent, bool, error) {
	now := s.now()
	err := s.put(ctx, carriedItem{PK: realmPK(realm), SK: carriedSK(requestID), ExpiresAt: now.Add(batchMemory).Unix()},
		unclaimed, map[string]types.AttributeValue{":now": num(now.Unix())})
	if err == nil {
		return qbobatch.Sent{}, false, nil
	}
	if !errors.Is(err, ErrConflict) {
		return qbobatch.Sent{}, false, fmt.Errorf("claim create %s: %w", requestID, err)
	}
	return s.BatchCarrying(ctx, realm, requestID)
}

// BatchCarrying returns the batch that carried the create with requestID;
// ok is false when none did (it was claimed alone, or never sent).
func (s *Store) BatchCarrying(ctx context.Context, realm, requestID string) (qbobatch.Sent, bool, error) {
	var c carriedItem
	err := s.get(ctx, realmPK(realm), carriedSK(requestID), &c)
	if errors.Is(err, ErrNotFound) || err == nil && (c.Batch == "" || c.ExpiresAt <= s.now().Unix()) {
		return qbobatch.Sent{}, false, nil
	}
	if err != nil {
		return qbobatch.Sent{}, false, fmt.Errorf("look up the batch of %s: %w", requestID, err)
	}
	var b batchItem
	err = s.get(ctx, realmPK(realm), batchSK(c.Batch), &b)
	if errors.Is(err, ErrNotFound) {
		// A pointer written before its batch by an earlier release, whose
		// record was cut short: that batch was never sent.
		return qbobatch.Sent{}, false, nil
	}
	if err != nil {
		return qbobatch.Sent{}, false, fmt.Errorf("load batch %s: %w", c.Batch, err)
	}
	body, err := gunzipBytes(b.Body)
	if err != nil {
		return qbobatch.Sent{}, false, fmt.Errorf("decompress batch %s: %w", c.Batch, err)
	}
	return qbobatch.Sent{Realm: realm, RequestID: c.Batch, Body: body, Creates: map[string]string{requestID: c.BID}}, true, nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gunzipBytes(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}
