// Package outbound holds the events qbosync sends to a tenant's billing
// system: what QuickBooks told us (payments recorded there, invoices paid,
// customers found) in the same signed-webhook shape billing uses inbound.
package outbound

import (
	"encoding/json"
	"time"
)

// Event is one notification to billing. ID is its idempotency key: it is
// derived from what caused the event (for a QuickBooks payment, the realm,
// the payment's id and its SyncToken), so recording the same cause twice
// yields the same ID and billing receives it once.
type Event struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"-"`
	Type       string          `json:"type"` // e.g. "quickbooks.payment.created"
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}
