package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// PutSnapshot stores snap unless a newer version is stored
// (record.ErrStale); the same version again is answered by
// record.SameVersion. A new version's status becomes not_tried.
func (s *Store) PutSnapshot(_ context.Context, snap record.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{snap.Tenant, snap.Kind, snap.ID}
	if cur, ok := s.entities[k]; ok {
		if cur.Version > snap.Version {
			return record.ErrStale
		}
		if cur.Version == snap.Version {
			return record.SameVersion(cur, snap.Data)
		}
	}
	snap.OccurredAt, snap.ReceivedAt = snap.OccurredAt.UTC(), snap.ReceivedAt.UTC()
	snap.Data = slices.Clone(snap.Data)
	s.entities[k] = record.EntityState{Snapshot: snap, Status: record.StatusNotTried,
		StatusVersion: snap.Version, UpdatedAt: snap.ReceivedAt}
	return nil
}

// Entity loads an entity; record.ErrNotFound for one never received.
func (s *Store) Entity(_ context.Context, tenant string, kind billing.Kind, id string) (record.EntityState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.entities[key{tenant, kind, id}]
	if !ok {
		return record.EntityState{}, record.ErrNotFound
	}
	st.Data = slices.Clone(st.Data)
	st.Warning = copyWarning(st.Warning)
	return st, nil
}

// SetStatus records u unless the stored snapshot is not version
// u.Version (record.ErrStale).
func (s *Store) SetStatus(_ context.Context, tenant string, kind billing.Kind, id string, u record.StatusUpdate) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{tenant, kind, id}
	st, ok := s.entities[k]
	if !ok || st.Version != u.Version {
		return record.ErrStale
	}
	st.Status, st.StatusVersion = u.Status, u.Version
	st.Warning, st.WaitingOn = copyWarning(u.Warning), u.WaitingOn
	st.Attempts++
	st.UpdatedAt = s.now().UTC()
	s.entities[k] = st
	return nil
}

// Link loads an entity's link; record.ErrNotFound when it never got one.
func (s *Store) Link(_ context.Context, tenant string, kind billing.Kind, id string) (record.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.link(key{tenant, kind, id})
}

func (s *Store) link(k key) (record.Link, error) {
	l, ok := s.links[k]
	if !ok {
		return record.Link{}, record.ErrNotFound
	}
	l.Extra, l.Refunds = maps.Clone(l.Extra), maps.Clone(l.Refunds)
	l.Waiters, l.Woken = s.waits[k].waiters, s.waits[k].woken
	return l, nil
}

// PutLink writes l if the stored link still has revision l.Rev (0: none
// stored yet) and returns it with its new revision; record.ErrConflict
// when another writer got there first.
func (s *Store) PutLink(_ context.Context, l record.Link) (record.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{l.Tenant, l.Kind, l.ID}
	cur, ok := s.links[k]
	if ok != (l.Rev > 0) || ok && cur.Rev != l.Rev {
		return record.Link{}, record.ErrConflict
	}
	l.Rev++
	l.UpdatedAt = s.now().UTC()
	l.IntentAt = l.IntentAt.UTC()
	// DynamoDB's store omits an empty map: nil, as it reads back.
	l.Extra, l.Refunds = nilIfEmpty(l.Extra), nilIfEmpty(l.Refunds)
	s.links[k] = l
	return s.link(k)
}

// AddDependent records that child waits for parent to link, counts it on
// parent's link and returns that link (record.ErrNotFound when none).
func (s *Store) AddDependent(_ context.Context, tenant string, parent billing.Ref, child record.Dependent) (record.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := key{tenant, parent.Kind, parent.ID}
	if s.deps[p] == nil {
		s.deps[p] = map[key]record.Dependent{}
	}
	s.deps[p][key{"", child.Kind, child.ID}] = child
	w := s.waits[p]
	w.waiters++
	s.waits[p] = w
	return s.link(p)
}

// MarkWoken records that the dependents of parent counted up to waiters
// were woken; the mark never moves back.
func (s *Store) MarkWoken(_ context.Context, tenant string, parent billing.Ref, waiters int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := key{tenant, parent.Kind, parent.ID}
	if w, ok := s.waits[p]; ok && w.woken < waiters {
		w.woken = waiters
		s.waits[p] = w
	}
	return nil
}

// Dependents lists the entities waiting for parent, in the order of
// DynamoDB's sort key (kind, then id).
func (s *Store) Dependents(_ context.Context, tenant string, parent billing.Ref) ([]record.Dependent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Collect(maps.Values(s.deps[key{tenant, parent.Kind, parent.ID}]))
	slices.SortFunc(out, func(a, b record.Dependent) int {
		return cmp.Compare(string(a.Kind)+"#"+a.ID, string(b.Kind)+"#"+b.ID)
	})
	return out, nil
}

// RemoveDependent forgets that child waits for parent.
func (s *Store) RemoveDependent(_ context.Context, tenant string, parent billing.Ref, child record.Dependent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.deps[key{tenant, parent.Kind, parent.ID}], key{"", child.Kind, child.ID})
	return nil
}

// EventSeen reports whether event id was recorded and has not expired.
func (s *Store) EventSeen(_ context.Context, tenant, eventID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.events[key{tenant, "", eventID}]
	return ok && exp.Unix() > s.now().Unix(), nil
}

// RecordEvent remembers an accepted event id until expires.
func (s *Store) RecordEvent(_ context.Context, tenant, eventID string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[key{tenant, "", eventID}] = expires
	return nil
}

func copyWarning(w *record.Warning) *record.Warning {
	if w == nil {
		return nil
	}
	c := *w
	return &c
}

// nilIfEmpty returns a copy of m, nil when m holds nothing.
func nilIfEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
