// Package memstore keeps what the sync engine and the webhook persist in
// memory, with the DynamoDB store's rules: the newest snapshot version
// wins, a status is recorded only for the version it describes, a link is
// written only at the revision it was read at, settings only at theirs,
// and every read is scoped by tenant. Package storetest checks both stores
// against the same contract. It keeps no counters, history, audit or
// shared companies, and does not seal secrets.
package memstore

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

type key struct {
	tenant string
	kind   billing.Kind
	id     string
}

type tenant struct {
	t       record.Tenant
	secrets [][]byte
}

// waits are a link's Waiters and Woken, kept apart as DynamoDB's store
// keeps them: only AddDependent and MarkWoken move them.
type waits struct{ waiters, woken int64 }

// Store is an in-memory store. It is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu        sync.Mutex
	tenants   map[string]*tenant
	entities  map[key]record.EntityState
	links     map[key]record.Link
	deps      map[key]map[key]record.Dependent // parent → child → edge
	waits     map[key]waits                    // the dependents' counters of a link, made or not
	events    map[key]time.Time                // tenant, "", event id → expiry
	customers map[key]record.CustomerConnection
	rests     map[string]time.Time
	conns     map[string]record.Connection // tenant → connection
	owners    map[string]string            // realm → owning tenant
}

// New returns an empty store reading the time from now (nil: time.Now).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, tenants: map[string]*tenant{}, entities: map[key]record.EntityState{},
		links: map[key]record.Link{}, deps: map[key]map[key]record.Dependent{}, waits: map[key]waits{},
		events: map[key]time.Time{}, customers: map[key]record.CustomerConnection{}, rests: map[string]time.Time{},
		conns: map[string]record.Connection{}, owners: map[string]string{}}
}

// CreateTenant stores t; record.ErrConflict if it exists. Its webhook
// secrets are kept as given.
func (s *Store) CreateTenant(_ context.Context, t record.Tenant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[t.ID]; ok {
		return record.ErrConflict
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	secrets := make([][]byte, 0, len(t.WebhookSecrets))
	for _, v := range t.WebhookSecrets {
		secrets = append(secrets, []byte(v))
	}
	t.WebhookSecrets, t.Secrets, t.SettingsRev = nil, nil, 0
	t.Settings = copySettings(t.Settings)
	s.tenants[t.ID] = &tenant{t: t, secrets: secrets}
	return nil
}

// Tenant loads a tenant; record.ErrNotFound for an unknown one.
func (s *Store) Tenant(_ context.Context, id string) (record.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok {
		return record.Tenant{}, record.ErrNotFound
	}
	out := t.t
	out.Settings = copySettings(out.Settings)
	return out, nil
}

// WebhookSecrets returns the tenant's webhook secrets; record.ErrNotFound
// for an unknown tenant.
func (s *Store) WebhookSecrets(_ context.Context, id string) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok {
		return nil, record.ErrNotFound
	}
	return slices.Clone(t.secrets), nil
}

// SaveSettings replaces the tenant's settings if they are still at
// revision rev; record.ErrConflict otherwise, and for an unknown tenant.
func (s *Store) SaveSettings(_ context.Context, id string, st record.Settings, rev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tenants[id]
	if !ok || t.t.SettingsRev != rev {
		return record.ErrConflict
	}
	t.t.Settings, t.t.SettingsRev = copySettings(st), rev+1
	return nil
}

// MarkSynced moves the tenant's last sync time forward, never back. The
// store keeps whole seconds, as DynamoDB's does.
func (s *Store) MarkSynced(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	at = time.Unix(at.Unix(), 0)
	if t, ok := s.tenants[id]; ok && t.t.LastSyncAt.Before(at) {
		t.t.LastSyncAt = at
	}
	return nil
}

// ThrottleRealm rests realm until until.
func (s *Store) ThrottleRealm(_ context.Context, realm string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rests[realm] = until
	return nil
}

// RealmThrottledUntil returns until when realm rests (zero: it does not).
func (s *Store) RealmThrottledUntil(_ context.Context, realm string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until := s.rests[realm]; until.After(s.now()) {
		return until, nil
	}
	return time.Time{}, nil
}

// SaveCustomerConnection records how an admin connected a customer.
func (s *Store) SaveCustomerConnection(_ context.Context, tenant string, c record.CustomerConnection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers[key{tenant, billing.KindCustomer, c.CustomerID}] = c
	return nil
}

// CustomerConnection returns how customer id was connected;
// record.ErrNotFound when no admin connected it.
func (s *Store) CustomerConnection(_ context.Context, tenant, id string) (record.CustomerConnection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[key{tenant, billing.KindCustomer, id}]
	if !ok {
		return record.CustomerConnection{}, record.ErrNotFound
	}
	return c, nil
}

func copySettings(st record.Settings) record.Settings {
	st.PaymentMethods = maps.Clone(st.PaymentMethods)
	st.TaxCodes = maps.Clone(st.TaxCodes)
	return st
}
