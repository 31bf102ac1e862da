package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

type eventItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

func eventSK(id string) string { return "EV#" + id }

// EventSeen reports whether the webhook already accepted event id. Expired
// records count as unseen: DynamoDB deletes TTL items only eventually.
func (s *Store) EventSeen(ctx context.Context, tenant, eventID string) (bool, error) {
	var it eventItem
	err := s.get(ctx, tenantPK(tenant), eventSK(eventID), &it)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up event %s: %w", eventID, err)
	}
	return it.ExpiresAt > s.now().Unix(), nil
}

// RecordEvent remembers an accepted event id until expires.
func (s *Store) RecordEvent(ctx context.Context, tenant, eventID string, expires time.Time) error {
	err := s.put(ctx, eventItem{PK: tenantPK(tenant), SK: eventSK(eventID), ExpiresAt: expires.Unix()}, "", nil)
	if err != nil {
		return fmt.Errorf("record event %s: %w", eventID, err)
	}
	return nil
}
