package outbound

import (
	"context"
	"encoding/json"
	"time"
)

// Answer is what the receiver answered one delivery attempt: its HTTP
// status and the start of its body, or why no answer came.
type Answer struct {
	At     time.Time `dynamodbav:"at" json:"at"`
	Status int       `dynamodbav:"status,omitempty" json:"status,omitempty"`
	Body   string    `dynamodbav:"body,omitempty" json:"body,omitempty"`
	Error  string    `dynamodbav:"error,omitempty" json:"error,omitempty"`
}

// Delivery is an event together with the state of its delivery.
type Delivery struct {
	Event
	Status     string
	Attempts   int
	RecordedAt time.Time
	// NextAt is when the next attempt is due (pending deliveries).
	NextAt time.Time
	Last   *Answer
}

func (it eventItem) delivery(tenant string) Delivery {
	return Delivery{
		Event:  Event{ID: it.ID, Tenant: tenant, Type: it.Type, OccurredAt: it.OccurredAt, Data: json.RawMessage(it.Data)},
		Status: it.Status, Attempts: it.Attempts, RecordedAt: it.RecordedAt, NextAt: it.NextAt, Last: it.Last,
	}
}

// Delivery returns the tenant's event id and its delivery state;
// ErrNotFound when the tenant recorded no such event.
func (s *Store) Delivery(ctx context.Context, tenant, id string) (Delivery, error) {
	it, err := s.item(ctx, tenant, id)
	if err != nil {
		return Delivery{}, err
	}
	return it.delivery(tenant), nil
}
