// Package record holds what the service keeps about a tenant: entity
// snapshots and their sync status, links to QuickBooks objects, the QBO
// connection, settings and dependency edges. It has no storage of its own:
// package store keeps these in DynamoDB, package memstore in memory, and
// the sync engine depends on this package alone.
package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrNotFound: the item does not exist (for a tenant: unknown tenant).
	ErrNotFound = errors.New("not found")
	// ErrStale: a newer version of the snapshot is already stored.
	ErrStale = errors.New("stale version")
	// ErrConflict: a conditional write lost to a concurrent writer.
	ErrConflict = errors.New("conflict")
	// ErrNotConnected: the tenant has no usable QBO connection.
	ErrNotConnected = errors.New("quickbooks not connected")
	// ErrReconnect: Intuit refused the refresh token (invalid_grant); only
	// an admin's reconnect can restore the connection.
	ErrReconnect = errors.New("quickbooks connection needs reconnecting")
)

// Snapshot is the newest billing state of one entity, as the webhook
// received it. Data is the contract's "data" object, unchanged.
type Snapshot struct {
	Tenant     string
	Kind       billing.Kind
	ID         string
	Version    int64
	CustomerID string // "" for products
	Action     string // created, updated, voided, deleted
	EventID    string
	OccurredAt time.Time
	ReceivedAt time.Time
	Data       json.RawMessage
}

// Status is what admins see for an entity.
type Status string

// Entity statuses (ARCHITECTURE.md).
const (
	StatusNotTried     Status = "not_tried"
	StatusWaiting      Status = "waiting"
	StatusSynced       Status = "synced"
	StatusWarning      Status = "warning"
	StatusDismissed    Status = "dismissed"
	StatusNotConnected Status = "not_connected"
	StatusSkipped      Status = "skipped"
	// StatusDrifted: the entity synced, then its QBO object was changed,
	// voided or deleted in QuickBooks (reconciliation found it).
	StatusDrifted Status = "drifted"
)

// Unsynced reports whether st means the entity's newest version is not in
// QuickBooks yet and nobody decided to leave it out.
func (st Status) Unsynced() bool {
	switch st {
	case StatusNotTried, StatusWaiting, StatusWarning, StatusNotConnected:
		return true
	}
	return false
}

// Warning is why an entity did not sync, in QuickBooks' own words where
// QuickBooks gave them.
type Warning struct {
	Code      string `json:"code,omitempty"`
	Message   string `json:"message"`
	Detail    string `json:"detail,omitempty"`
	Element   string `json:"element,omitempty"`
	IntuitTID string `json:"intuit_tid,omitempty"`
	// Retryable warnings are retried by the scheduler; the others wait for
	// an admin's fix and resend.
	Retryable bool `json:"retryable,omitempty"`
	// Notice marks the note on an entity that synced, but not as billing
	// sent it (renamed, re-dated): nothing to retry, something an
	// accountant must know. Counted apart (Counts.Notices).
	Notice bool `json:"notice,omitempty"`
}

// EntityState is an entity's snapshot together with its sync status.
type EntityState struct {
	Snapshot
	Status Status
	// StatusVersion is the snapshot version the status describes.
	StatusVersion int64
	Warning       *Warning
	// WaitingOn names the parent the entity waits for, as "kind/id".
	WaitingOn string
	Attempts  int
	UpdatedAt time.Time
}

// LinkState says how far the QBO object of an entity got.
type LinkState string

// Link states.
const (
	// LinkCreating: an intent to create was written; the object may or may
	// not exist in QBO (the response may have been lost).
	LinkCreating LinkState = "creating"
	LinkLinked   LinkState = "linked"
)

// Link records which QBO object mirrors a billing entity.
type Link struct {
	Tenant  string
	Kind    billing.Kind
	ID      string
	RealmID string
	State   LinkState
	QBOID   string
	// SyncToken is QBO's version of the object after our last write.
	SyncToken string
	// SentHash is the hash of the last payload written; an update goes out
	// only when the newly mapped payload hashes differently.
	SentHash      string
	SyncedVersion int64
	// RequestID is the create intent's requestid, resent on every retry.
	RequestID string
	IntentAt  time.Time
	// Voided is set once the QBO object has been voided or deactivated.
	Voided bool
	// Refunds, on a payment's link, are the refunds taken off the
	// payment's unapplied amount, by refund id (see RefundEntries).
	Refunds   map[string]RefundEntry
	Extra     map[string]string
	Rev       int64
	UpdatedAt time.Time
	// Waiters counts the dependents ever recorded against the entity
	// (AddDependent moves it on the link itself, before the dependent
	// reads the link), Woken the count its last wake-up covered. Both
	// come back with every read and write of the link, so a sync that
	// saw them equal knows without a query that nothing waits for it.
	Waiters, Woken int64
}

// Awaited reports whether dependents may wait for the entity: some were
// recorded since its last wake-up.
func (l Link) Awaited() bool { return l.Waiters != l.Woken }

// RefundEntry is a refund booked against a payment: the journal entry
// QuickBooks holds for it and the amount, in minor units, the payment
// applies to that entry.
type RefundEntry struct {
	JournalEntryID string `dynamodbav:"journal_entry_id"`
	Amount         int64  `dynamodbav:"amount"`
}

// Linked reports whether the QBO object exists and is known.
func (l Link) Linked() bool { return l.State == LinkLinked && l.QBOID != "" }

// Connection is a tenant's QuickBooks company and its OAuth tokens. The
// tokens are plain in memory only: the store seals them before writing.
type Connection struct {
	Tenant       string
	RealmID      string
	AccessToken  string
	RefreshToken string
	// AccessExpiresAt: one hour after issue. RefreshExpiresAt: the rolling
	// expiry (x_refresh_token_expires_in, ~100 days, renewed by refreshes).
	// RefreshHardExpiresAt: the five-year limit no refresh extends
	// (x_refresh_token_hard_expires_in); zero when Intuit did not say.
	AccessExpiresAt      time.Time
	RefreshExpiresAt     time.Time
	RefreshHardExpiresAt time.Time
	Status               string // connected, needs_reconnect, disconnected
	ConnectedAt          time.Time
	DisconnectedAt       time.Time
	// Warning is the tenant-level reason the connection needs an admin
	// (needs reconnecting, refresh token expiring); nil when healthy.
	Warning *Warning
	// Relatch is set once the tenant's links were forgotten: before
	// creating anything the sync looks for the object QuickBooks may
	// already hold (natural key and marker) and links to it instead.
	Relatch bool
	// LinksForgottenAt is when an admin last had the links forgotten; the
	// next connect then sends every entity again.
	LinksForgottenAt time.Time
	Rev              int64
}

// Connection statuses.
const (
	ConnConnected      = "connected"
	ConnNeedsReconnect = "needs_reconnect"
	ConnDisconnected   = "disconnected"
)

// Tenant is a billing account using the service.
type Tenant struct {
	ID   string
	Name string
	// WebhookSecrets are the plain secrets CreateTenant seals and stores;
	// Tenant never fills them in (see Store.WebhookSecrets).
	WebhookSecrets []string
	// Secrets describes the active webhook secrets, without their values.
	Secrets  []SecretInfo
	Settings Settings
	// SettingsRev is the revision Settings were read at (SaveSettings).
	SettingsRev int64
	LastSyncAt  time.Time
	CreatedAt   time.Time
}

// SecretInfo describes a webhook secret without its value.
type SecretInfo struct {
	ID        string
	CreatedAt time.Time
}

// StatusUpdate is the outcome of one sync attempt of a snapshot version.
type StatusUpdate struct {
	Status    Status
	Version   int64 // the snapshot version the outcome is about
	Warning   *Warning
	WaitingOn string
}

// Dependent is an entity waiting for a parent to link.
type Dependent struct {
	Kind       billing.Kind
	ID         string
	CustomerID string
}

// RealmTakenError: the QuickBooks company is synced by another tenant,
// and no operator allowed this tenant to share it.
type RealmTakenError struct {
	Realm, Owner string
}

func (e *RealmTakenError) Error() string {
	return fmt.Sprintf("company %s is synced by another tenant", e.Realm)
}
