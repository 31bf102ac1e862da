package qbobatch_test

import (
	"context"
	"sync"

	"github.com/qbosync/qbosync/internal/qbobatch"
)

// memJournal keeps batches in memory, for the batcher's own tests; the
// store's journal is tested on DynamoDB Local.
type memJournal struct {
	mu       sync.Mutex
	byWrite  map[string]qbobatch.Sent
	recorded []string // batch requestids, in order
}

func (j *memJournal) RecordBatch(_ context.Context, s qbobatch.Sent) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.byWrite == nil {
		j.byWrite = map[string]qbobatch.Sent{}
	}
	var taken []string
	for id := range s.Creates {
		if _, ok := j.byWrite[s.Realm+"|"+id]; ok {
			taken = append(taken, id)
		}
	}
	if len(taken) > 0 {
		return &qbobatch.ClaimedError{Batch: s.RequestID, RequestIDs: taken}
	}
	j.recorded = append(j.recorded, s.RequestID)
	for id := range s.Creates {
		j.byWrite[s.Realm+"|"+id] = s
	}
	return nil
}

// ClaimAlone records a claim alone as a Sent without a requestid.
func (j *memJournal) ClaimAlone(_ context.Context, realm, requestID string) (qbobatch.Sent, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.byWrite == nil {
		j.byWrite = map[string]qbobatch.Sent{}
	}
	s, ok := j.byWrite[realm+"|"+requestID]
	if !ok {
		j.byWrite[realm+"|"+requestID] = qbobatch.Sent{}
	}
	return s, ok && s.RequestID != "", nil
}
