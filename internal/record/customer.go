package record

import "time"

// Customer connection modes.
const (
	// ConnectLatch: the customer was tied to an existing QBO customer.
	ConnectLatch = "latch"
	// ConnectCreate: the customer is to be created in QBO.
	ConnectCreate = "create"
)

// CustomerConnection is an admin's decision of how a billing customer
// reaches QuickBooks and from when its financial documents flow.
type CustomerConnection struct {
	CustomerID string `dynamodbav:"customer_id" json:"customer_id"`
	Mode       string `dynamodbav:"mode" json:"mode"`
	QBOID      string `dynamodbav:"qbo_id,omitempty" json:"qbo_id,omitempty"`
	// StartDate (YYYY-MM-DD): the customer's documents dated before it
	// are not sent; empty means the tenant's sync-from date applies.
	StartDate string    `dynamodbav:"start_date,omitempty" json:"start_date,omitempty"`
	By        string    `dynamodbav:"by" json:"by"`
	At        time.Time `dynamodbav:"at" json:"at"`
}
