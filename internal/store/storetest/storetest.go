// Package storetest is the contract every store of the sync engine and
// the webhook keeps: run against DynamoDB Local (package store) and
// against memory (package memstore), so a rule a unit test relies on is
// the rule production runs.
package storetest

import (
	"context"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// Store is what the contract exercises: the sync engine's and the
// webhook's needs, and what a test sets up.
type Store interface {
	CreateTenant(ctx context.Context, t record.Tenant) error
	Tenant(ctx context.Context, id string) (record.Tenant, error)
	WebhookSecrets(ctx context.Context, tenant string) ([][]byte, error)
	SaveSettings(ctx context.Context, tenant string, s record.Settings, rev int64) error
	MarkSynced(ctx context.Context, tenant string, at time.Time) error

	PutSnapshot(ctx context.Context, s record.Snapshot) error
	Entity(ctx context.Context, tenant string, kind billing.Kind, id string) (record.EntityState, error)
	SetStatus(ctx context.Context, tenant string, kind billing.Kind, id string, u record.StatusUpdate) error

	Link(ctx context.Context, tenant string, kind billing.Kind, id string) (record.Link, error)
	PutLink(ctx context.Context, l record.Link) (record.Link, error)

	AddDependent(ctx context.Context, tenant string, parent billing.Ref, child record.Dependent) (record.Link, error)
	Dependents(ctx context.Context, tenant string, parent billing.Ref) ([]record.Dependent, error)
	RemoveDependent(ctx context.Context, tenant string, parent billing.Ref, child record.Dependent) error
	MarkWoken(ctx context.Context, tenant string, parent billing.Ref, waiters int64) error

	EventSeen(ctx context.Context, tenant, eventID string) (bool, error)
	RecordEvent(ctx context.Context, tenant, eventID string, expires time.Time) error

	SaveCustomerConnection(ctx context.Context, tenant string, c record.CustomerConnection) error
	CustomerConnection(ctx context.Context, tenant, id string) (record.CustomerConnection, error)

	ThrottleRealm(ctx context.Context, realm string, until time.Time) error
	RealmThrottledUntil(ctx context.Context, realm string) (time.Time, error)

	SaveConnection(ctx context.Context, c record.Connection) (record.Connection, error)
	Connection(ctx context.Context, tenant string) (record.Connection, error)
	ConnectionStatus(ctx context.Context, tenant string) (record.Connection, error)
	SetConnectionWarning(ctx context.Context, tenant string, w *record.Warning) error
	TenantIDs(ctx context.Context) ([]string, error)
	ClaimRealm(ctx context.Context, realm, tenant string) error
	RealmOwner(ctx context.Context, realm string) (string, error)
	WalkStatus(ctx context.Context, tenant string, st record.Status, fn func(record.EntityState) error) error
}
