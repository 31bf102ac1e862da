// Package queue carries "entity changed" notices from the webhook (and from
// wake-ups and resends) to the per-kind SQS FIFO queues, and adapts SQS
// batches to the sync engine with the FIFO partial-failure rule.
package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
)

// Message says only that an entity changed. The consumer reads the newest
// stored snapshot, so duplicates and reordering are harmless.
type Message struct {
	Tenant     string       `json:"tenant"`
	Kind       billing.Kind `json:"kind"`
	ID         string       `json:"id"`
	CustomerID string       `json:"customer_id,omitempty"`
	Version    int64        `json:"version"`
	EventID    string       `json:"event_id,omitempty"`
	// Reason says why the message was sent: "webhook", "wake", "resend",
	// "resume" (a deferred sync whose wait is over).
	Reason string `json:"reason,omitempty"`
	// Attempt counts the deferrals of this sync for a transient failure;
	// it sets the back-off and when the entity shows the failure.
	Attempt int `json:"attempt,omitempty"`
	// Waits counts the times the company's request schedule turned this
	// sync away; it only spreads the returns.
	Waits int `json:"waits,omitempty"`
	// NotBefore (Unix seconds) is when a deferred message is due; the
	// defer queue delays at most 15 minutes, so a longer wait is deferred
	// again.
	NotBefore int64 `json:"not_before,omitempty"`
	// Lane is the queue the message waits in; a deferred message returns
	// to its lane.
	Lane Lane `json:"lane,omitempty"`
	// Nonce distinguishes deliberate re-sends of the same version (wake-ups,
	// resends) from duplicates, which share the deduplication id.
	Nonce string `json:"nonce,omitempty"`
}

// GroupID is the FIFO message group: one customer's entities are handled in
// order, customers in parallel. Products belong to no customer and share a
// per-tenant group.
func (m Message) GroupID() string {
	if m.CustomerID == "" {
		return m.Tenant + "#_" + string(m.Kind)
	}
	return m.Tenant + "#" + m.CustomerID
}

// DedupID is tenant#kind#id#version (plus the nonce of a deliberate re-send),
// hashed because SQS allows at most 128 characters.
func (m Message) DedupID() string {
	key := fmt.Sprintf("%s#%s#%s#%d", m.Tenant, m.Kind, m.ID, m.Version)
	if m.Nonce != "" {
		key += "#" + m.Nonce
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
