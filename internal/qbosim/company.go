package qbosim

import (
	"sort"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // Pacific time without the host's zone database
)

// company is one QuickBooks company (realm). Its mutex serialises every
// request against it, the way a realm's writes are applied one at a time.
type company struct {
	mu sync.Mutex

	realmID      string
	name         string
	country      string
	created      time.Time
	prefs        preferences
	prefsRev     int // SyncToken of the Preferences entity
	prefsUpdated time.Time

	nextID     int
	docSeq     map[string]int                // next automatic DocNumber per entity
	entities   map[string]map[string]*entity // by kind name, then Id
	tombstones []tombstone                   // deleted transactions, for CDC
	books      books
	replays    map[string]replay // by requestid
	replaySeq  int
	bumped     map[*entity]bool  // entities given a new SyncToken by the current operation
	notices    []notice          // webhook notices of the current request
	roles      map[string]string // seeded account and item ids by role

	schema schema
	gate   *gate // limits, injected faults and stats; locked separately
}

// entity is one stored object. data holds its JSON properties except the
// ones the store owns (Id, SyncToken, MetaData, domain, sparse).
type entity struct {
	kind      *kind
	id        string
	syncToken int
	created   time.Time
	updated   time.Time
	data      map[string]any
	txn       *txn // bookkeeping view; nil for name-list entities
}

// tombstone remembers a deleted transaction so CDC can report it.
type tombstone struct {
	kind    string
	id      string
	created time.Time
	deleted time.Time
}

func (c *company) newID() string {
	c.nextID++
	return strconv.Itoa(c.nextID)
}

func (c *company) get(kindName, id string) *entity {
	return c.entities[kindName][id]
}

func (c *company) put(e *entity) {
	m := c.entities[e.kind.name]
	if m == nil {
		m = make(map[string]*entity)
		c.entities[e.kind.name] = m
	}
	m[e.id] = e
}

// all returns the entities of a kind in Id order, the order QuickBooks
// returns them in when a query has no ORDERBY.
func (c *company) all(kindName string) []*entity {
	m := c.entities[kindName]
	out := make([]*entity, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].id, out[j].id) })
	return out
}

func idLess(a, b string) bool {
	ai, errA := strconv.Atoi(a)
	bi, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return ai < bi
	}
	if (errA == nil) != (errB == nil) {
		return errA == nil
	}
	return a < b
}

// bump records a change to e at now: a new SyncToken and LastUpdatedTime,
// once per operation however many steps of it change e.
func (c *company) bump(e *entity, now time.Time) {
	if c.bumped[e] {
		return
	}
	c.bumped[e] = true
	e.syncToken++
	e.updated = now
}

// active reports whether a name-list entity is active.
func (e *entity) active() bool { return boolean(e.data, "Active", true) }

// displayName is the name QuickBooks puts into references to e.
func (e *entity) displayName() string {
	if n := str(e.data, "FullyQualifiedName"); n != "" {
		return n
	}
	if n := str(e.data, "DisplayName"); n != "" {
		return n
	}
	return str(e.data, "Name")
}

// render returns e as QuickBooks serialises it.
func (e *entity) render() map[string]any {
	out := make(map[string]any, len(e.data)+5)
	for k, v := range e.data {
		out[k] = v
	}
	out["Id"] = e.id
	out["SyncToken"] = strconv.Itoa(e.syncToken)
	out["MetaData"] = map[string]any{
		"CreateTime":      qboTime(e.created),
		"LastUpdatedTime": qboTime(e.updated),
	}
	out["domain"] = "QBO"
	out["sparse"] = false
	return out
}

// intuitZone is the zone QuickBooks writes its times in: Pacific, -08:00 in
// winter and -07:00 in summer, whatever the company's country (Intuit staff
// in intuit/QuickBooks-V3-Java-SDK#26; the Java SDK's fixtures).
var intuitZone = mustLoadZone("America/Los_Angeles")

func mustLoadZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("qbosim: load time zone: " + err.Error())
	}
	return loc
}

// qboTime formats a timestamp the way MetaData carries it.
func qboTime(t time.Time) string { return t.In(intuitZone).Format("2006-01-02T15:04:05-07:00") }

// responseTime formats the "time" member of every response.
func responseTime(t time.Time) string {
	return t.In(intuitZone).Format("2006-01-02T15:04:05.000-07:00")
}

// today is the date QuickBooks gives a transaction sent without one: the
// date in Pacific time, which is the day before UTC's in the evening.
func today(t time.Time) string { return t.In(intuitZone).Format("2006-01-02") }
