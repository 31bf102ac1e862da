package store

import "github.com/qbosync/qbosync/internal/record"

// The store keeps package record's types; these names let its callers
// keep spelling them store.X.
type (
	Snapshot           = record.Snapshot
	Status             = record.Status
	Warning            = record.Warning
	EntityState        = record.EntityState
	StatusUpdate       = record.StatusUpdate
	LinkState          = record.LinkState
	Link               = record.Link
	Connection         = record.Connection
	Tenant             = record.Tenant
	SecretInfo         = record.SecretInfo
	Settings           = record.Settings
	CustomerConnection = record.CustomerConnection
	Dependent          = record.Dependent

	UnchangedError       = record.UnchangedError
	RealmTakenError      = record.RealmTakenError
	VersionConflictError = record.VersionConflictError
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound = record.ErrNotFound
	ErrStale    = record.ErrStale
	ErrConflict = record.ErrConflict
)

// Statuses, link states, connection statuses and settings' choices.
const (
	StatusNotTried     = record.StatusNotTried
	StatusWaiting      = record.StatusWaiting
	StatusSynced       = record.StatusSynced
	StatusWarning      = record.StatusWarning
	StatusDismissed    = record.StatusDismissed
	StatusNotConnected = record.StatusNotConnected
	StatusSkipped      = record.StatusSkipped
	StatusDrifted      = record.StatusDrifted

	LinkCreating = record.LinkCreating
	LinkLinked   = record.LinkLinked

	ConnConnected      = record.ConnConnected
	ConnNeedsReconnect = record.ConnNeedsReconnect
	ConnDisconnected   = record.ConnDisconnected

	ClosedPostOpen         = record.ClosedPostOpen
	PaymentsToQuickBooks   = record.PaymentsToQuickBooks
	PaymentsFromQuickBooks = record.PaymentsFromQuickBooks
	ClosedHold             = record.ClosedHold
	TaxUSOverride          = record.TaxUSOverride
	TaxCodes               = record.TaxCodes
	TaxNone                = record.TaxNone

	ConnectLatch  = record.ConnectLatch
	ConnectCreate = record.ConnectCreate
)
