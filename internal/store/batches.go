package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

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
	Batch     string `dynamodbav:"batch"`
	BID       string `dynamodbav:"bid"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

func batchSK(id string) string   { return "BATCH#" + id }
func carriedSK(id string) string { return "BW#" + id }

// RecordBatch stores a pointer for each create s carries (BatchWriteItem,
// 25 at a time), then s itself. The batch's item comes last: a lookup
// that finds a pointer but no batch knows the batch was never sent, so a
// record cut short can never have some of its creates replayed with the
// batch and others sent alone.
func (s *Store) RecordBatch(ctx context.Context, b qbobatch.Sent) error {
	body, err := gzipBytes(b.Body)
	if err != nil {
		return fmt.Errorf("compress batch %s: %w", b.RequestID, err)
	}
	exp := s.now().Add(batchMemory).Unix()
	reqs := make([]types.WriteRequest, 0, len(b.Creates))
	for id, bID := range b.Creates {
		av, err := attributevalue.MarshalMap(carriedItem{PK: realmPK(b.Realm), SK: carriedSK(id), Batch: b.RequestID, BID: bID, ExpiresAt: exp})
		if err != nil {
			return fmt.Errorf("encode batch %s: %w", b.RequestID, err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("record the creates of batch %s: %w", b.RequestID, err)
	}
	if err := s.put(ctx, batchItem{PK: realmPK(b.Realm), SK: batchSK(b.RequestID), Body: body, ExpiresAt: exp}, "", nil); err != nil {
		return fmt.Errorf("record batch %s: %w", b.RequestID, err)
	}
	return nil
}

// BatchCarrying returns the batch that carried the create with requestID.
func (s *Store) BatchCarrying(ctx context.Context, realm, requestID string) (qbobatch.Sent, bool, error) {
	var c carriedItem
	err := s.get(ctx, realmPK(realm), carriedSK(requestID), &c)
	if errors.Is(err, ErrNotFound) || err == nil && c.ExpiresAt <= s.now().Unix() {
		return qbobatch.Sent{}, false, nil
	}
	if err != nil {
		return qbobatch.Sent{}, false, fmt.Errorf("look up the batch of %s: %w", requestID, err)
	}
	var b batchItem
	err = s.get(ctx, realmPK(realm), batchSK(c.Batch), &b)
	if errors.Is(err, ErrNotFound) {
		// The batch's record was never completed, so it was never sent.
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

// maxBatchWrite is DynamoDB's limit of requests in one BatchWriteItem.
const maxBatchWrite = 25

// batchWrite sends reqs in as few BatchWriteItem calls as DynamoDB
// allows, sending again what it left unprocessed.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		n := min(len(reqs), maxBatchWrite)
		pending := reqs[:n]
		reqs = reqs[n:]
		for try := 0; len(pending) > 0; try++ {
			if try == 5 {
				return fmt.Errorf("%d writes left unprocessed", len(pending))
			}
			if try > 0 {
				select {
				case <-time.After(time.Duration(try*50) * time.Millisecond):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{s.table: pending},
			})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems[s.table]
		}
	}
	return nil
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
