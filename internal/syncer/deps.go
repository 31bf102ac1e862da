package syncer

import (
	"context"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/change"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// Entities reads snapshots and records outcomes.
type Entities interface {
	// Entity returns record.ErrNotFound for an entity never received.
	Entity(ctx context.Context, tenant string, kind billing.Kind, id string) (record.EntityState, error)
	// SetStatus returns record.ErrStale when a newer snapshot arrived.
	SetStatus(ctx context.Context, tenant string, kind billing.Kind, id string, u record.StatusUpdate) error
}

// Links records which QBO object mirrors which entity.
type Links interface {
	// Link returns record.ErrNotFound if the entity never got a link.
	Link(ctx context.Context, tenant string, kind billing.Kind, id string) (record.Link, error)
	// PutLink returns record.ErrConflict if l.Rev is not the stored revision.
	PutLink(ctx context.Context, l record.Link) (record.Link, error)
}

// Dependencies records who waits for whom.
type Dependencies interface {
	// AddDependent counts the edge on parent's link and returns that link
	// as it stood just after (record.ErrNotFound when it has none).
	AddDependent(ctx context.Context, tenant string, parent billing.Ref, child record.Dependent) (record.Link, error)
	Dependents(ctx context.Context, tenant string, parent billing.Ref) ([]record.Dependent, error)
	RemoveDependent(ctx context.Context, tenant string, parent billing.Ref, child record.Dependent) error
	// MarkWoken records that parent's dependents counted up to waiters
	// (record.Link.Waiters) were woken.
	MarkWoken(ctx context.Context, tenant string, parent billing.Ref, waiters int64) error
}

// Tenants reads and updates tenant settings.
type Tenants interface {
	Tenant(ctx context.Context, id string) (record.Tenant, error)
	// SaveSettings fails with record.ErrConflict if rev is not current.
	SaveSettings(ctx context.Context, tenant string, s record.Settings, rev int64) error
	MarkSynced(ctx context.Context, tenant string, at time.Time) error
}

// Customers reads how an admin connected a customer (manual mode, start date).
type Customers interface {
	// CustomerConnection returns record.ErrNotFound for a customer never connected.
	CustomerConnection(ctx context.Context, tenant, id string) (record.CustomerConnection, error)
}

// Tokens hands out a connection with a usable access token.
type Tokens interface {
	// Token refreshes when the token is near expiry or force is set.
	Token(ctx context.Context, tenant string, force bool) (record.Connection, error)
}

// Publisher queues wake-ups of dependents and parks syncs that must wait.
type Publisher interface {
	Publish(ctx context.Context, m change.Message) error
	// Defer delivers m again at until.
	Defer(ctx context.Context, m change.Message, until time.Time) error
}

// Realms rests a company that QuickBooks throttled without a 429 (which
// the HTTP client's admission records itself).
type Realms interface {
	ThrottleRealm(ctx context.Context, realm string, until time.Time) error
}

// QBO answers the engine's Accounting API calls: a *qbo.Client over HTTP
// when deployed, an in-memory company in unit tests. Every operation of
// package qbo takes it.
type QBO interface {
	Do(ctx context.Context, r qbo.Request) (qbo.Envelope, error)
}

// Store is everything the engine persists.
type Store interface {
	Entities
	Links
	Dependencies
	Tenants
	Realms
	Customers
}
