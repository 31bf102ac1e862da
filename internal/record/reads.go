package record

import "github.com/qbosync/qbosync/internal/billing"

// Reads names the items a sync or a webhook is about to read, so a store
// can fetch them in one request beforehand.
type Reads struct {
	Tenant     bool // the tenant's settings
	Connection bool // its QuickBooks connection
	Links      []billing.Ref
	Entities   []billing.Ref
	// CustomerConnections are billing customer ids.
	CustomerConnections []string
	// Events are webhook event ids (whether each was accepted before).
	Events []string
}
