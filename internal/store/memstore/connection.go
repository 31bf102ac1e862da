package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/qbosync/qbosync/internal/record"
)

// SaveConnection writes c if the stored connection still has revision
// c.Rev (0: none stored) and returns it with its new revision;
// record.ErrConflict when a concurrent refresh or reconnect won.
func (s *Store) SaveConnection(_ context.Context, c record.Connection) (record.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.conns[c.Tenant]
	if ok != (c.Rev > 0) || ok && cur.Rev != c.Rev {
		return record.Connection{}, record.ErrConflict
	}
	c.Rev++
	c.Warning = copyWarning(c.Warning)
	s.conns[c.Tenant] = c
	return c, nil
}

// Connection loads the tenant's connection with its tokens;
// record.ErrNotFound if never connected.
func (s *Store) Connection(_ context.Context, tenant string) (record.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[tenant]
	if !ok {
		return record.Connection{}, record.ErrNotFound
	}
	c.Warning = copyWarning(c.Warning)
	return c, nil
}

// ConnectionStatus loads the connection without its tokens.
func (s *Store) ConnectionStatus(ctx context.Context, tenant string) (record.Connection, error) {
	c, err := s.Connection(ctx, tenant)
	c.AccessToken, c.RefreshToken = "", ""
	return c, err
}

// SetConnectionWarning sets (nil: clears) the connection's warning
// without moving its revision; record.ErrNotFound if never connected.
func (s *Store) SetConnectionWarning(_ context.Context, tenant string, w *record.Warning) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[tenant]
	if !ok {
		return record.ErrNotFound
	}
	c.Warning = copyWarning(w)
	s.conns[tenant] = c
	return nil
}

// TenantIDs lists every tenant id, in order.
func (s *Store) TenantIDs(_ context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.tenants))
	for id := range s.tenants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// ClaimRealm makes tenant the owner of realm if no other tenant owns it;
// *record.RealmTakenError otherwise.
func (s *Store) ClaimRealm(_ context.Context, realm, tenant string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, ok := s.owners[realm]
	switch {
	case !ok:
		s.owners[realm] = tenant
	case owner != tenant:
		return &record.RealmTakenError{Realm: realm, Owner: owner}
	}
	return nil
}

// RealmOwner returns the tenant that claimed realm; record.ErrNotFound
// when none did.
func (s *Store) RealmOwner(_ context.Context, realm string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, ok := s.owners[realm]
	if !ok {
		return "", record.ErrNotFound
	}
	return owner, nil
}

// WalkStatus calls fn for each of the tenant's entities in status st,
// without their snapshots.
func (s *Store) WalkStatus(ctx context.Context, tenant string, st record.Status, fn func(record.EntityState) error) error {
	s.mu.Lock()
	var found []record.EntityState
	for k, e := range s.entities {
		if k.tenant == tenant && e.Status == st {
			e.Data, e.Warning = nil, copyWarning(e.Warning)
			found = append(found, e)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(found, func(a, b record.EntityState) int {
		return strings.Compare(string(a.Kind)+"#"+a.ID, string(b.Kind)+"#"+b.ID)
	})
	for _, e := range found {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
