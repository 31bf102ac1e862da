// Package change names an entity that changed: the message the webhook,
// wake-ups, resends and resumes queue for a sync. Package queue carries it
// over SQS; the sync engine reads it without depending on SQS.
package change

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

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
	// LaneUntil (Unix seconds) is how long the message's group holds Lane
	// at least, as the publisher's hold left it: a sync taking the
	// message up soon after need not hold the lane again.
	LaneUntil int64 `json:"lane_until,omitempty"`
	// Nonce distinguishes deliberate re-sends of the same version (wake-ups,
	// resends) from duplicates, which share the deduplication id.
	Nonce string `json:"nonce,omitempty"`
	// Source is SourceQuickBooks for a payment recorded in QuickBooks to
	// import (ID is then its QuickBooks id, Realm its company); empty for
	// billing entities. A redrive keeps it.
	Source string `json:"source,omitempty"`
	Realm  string `json:"realm,omitempty"`
	// Parents names the snapshot's parents ("kind/id") when the sender
	// had it at hand (the webhook): only a hint of what the sync will read,
	// so it reads them with its first request. The sync never trusts it
	// for anything else; it reads the parents of the stored snapshot.
	Parents []string `json:"parents,omitempty"`
	// Bunch (Unix ms) marks the message that opened a bunch of the
	// company Realm: at that turn it syncs every message seated in the
	// bunch at once, so that their creates go out as one batch.
	Bunch int64 `json:"bunch,omitempty"`
	// Seated (Unix ms) marks the message of a sync seated in the bunch of
	// that turn by another message: it comes back after the turn only in
	// case the bunch did not sync it.
	Seated int64 `json:"seated,omitempty"`
}

// maxParentHints bounds the hints a message carries: one request reads
// at most 100 items, and a message stays small.
const maxParentHints = 50

// ParentHints returns the hints of refs for Message.Parents; nil when
// there are more than a message carries.
func ParentHints(refs []billing.Ref) []string {
	if len(refs) > maxParentHints {
		return nil
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.String())
	}
	return out
}

// ParentRefs returns the well-formed refs of m.Parents.
func (m Message) ParentRefs() []billing.Ref {
	var out []billing.Ref
	for _, p := range m.Parents {
		kind, id, ok := strings.Cut(p, "/")
		if ok && id != "" && billing.Kind(kind).Valid() {
			out = append(out, billing.Ref{Kind: billing.Kind(kind), ID: id})
		}
	}
	return out
}

// SourceQuickBooks marks a message about an object changed in QuickBooks.
const SourceQuickBooks = "quickbooks"

// Imports reports whether m names a QuickBooks object to import rather
// than a billing entity to sync.
func (m Message) Imports() bool { return m.Source == SourceQuickBooks }

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

// Lane is which of its kind's two queues a message waits in. Each has its
// own event source with its own concurrency, so a tenant's backfill never
// stands in the queue ahead of other tenants' live events.
type Lane string

// The lanes. Live is the zero value: wake-ups, resends and redrives are
// live unless they follow from a backfill message.
const (
	LaneLive     Lane = ""
	LaneBackfill Lane = "backfill"
)

func (l Lane) String() string {
	if l == LaneLive {
		return "live"
	}
	return string(l)
}
