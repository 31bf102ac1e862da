package qbosim

import (
	"net/url"
	"sort"
	"strings"
	"time"
)

// CDC limits Intuit documents.
const (
	cdcLookBack   = 30 * 24 * time.Hour
	maxCDCObjects = 1000
)

type change struct {
	kind string
	id   string
	at   time.Time
	row  map[string]any
}

// cdc answers change data capture: every entity of the listed kinds changed
// at or after changedSince, oldest first, at most 1000 in all. Deleted
// transactions appear as stubs with status Deleted.
func (c *company) cdc(params url.Values, now time.Time) (map[string]any, error) {
	names := strings.Split(params.Get("entities"), ",")
	if strings.TrimSpace(params.Get("entities")) == "" {
		return nil, errQueryInvalid("the entities parameter is required")
	}
	sinceText := params.Get("changedSince")
	if sinceText == "" {
		return nil, errQueryInvalid("the changedSince parameter is required")
	}
	since, ok := parseQueryTime(sinceText)
	if !ok {
		return nil, errQueryParse("changedSince '" + sinceText + "' is not a date-time")
	}
	if since.Before(now.Add(-cdcLookBack)) {
		return nil, errQueryInvalid("changedSince must be within the last 30 days")
	}
	var order []string
	wanted := map[string]bool{}
	for _, n := range names {
		k := kindByName(strings.TrimSpace(n))
		if k == nil || k.name == "CompanyInfo" || k.name == "Preferences" {
			return nil, errQueryInvalid("Entity '" + strings.TrimSpace(n) + "' is not supported by change data capture")
		}
		if !wanted[k.name] {
			wanted[k.name] = true
			order = append(order, k.name)
		}
	}
	changes := c.changesSince(wanted, since)
	byKind := map[string][]any{}
	for _, ch := range changes {
		byKind[ch.kind] = append(byKind[ch.kind], ch.row)
	}
	responses := make([]any, 0, len(order))
	for _, name := range order {
		rows := byKind[name]
		if len(rows) == 0 {
			responses = append(responses, map[string]any{})
			continue
		}
		responses = append(responses, map[string]any{name: rows, "startPosition": 1, "maxResults": len(rows), "totalCount": len(rows)})
	}
	return map[string]any{"CDCResponse": []any{map[string]any{"QueryResponse": responses}}}, nil
}

func (c *company) changesSince(wanted map[string]bool, since time.Time) []change {
	var out []change
	for name := range wanted {
		for _, e := range c.entities[name] {
			if !e.updated.Before(since) {
				out = append(out, change{kind: name, id: e.id, at: e.updated, row: e.render()})
			}
		}
	}
	for _, t := range c.tombstones {
		if wanted[t.kind] && !t.deleted.Before(since) {
			out = append(out, change{kind: t.kind, id: t.id, at: t.deleted, row: map[string]any{
				"Id": t.id, "status": "Deleted", "domain": "QBO",
				"MetaData": map[string]any{"CreateTime": qboTime(t.created), "LastUpdatedTime": qboTime(t.deleted)},
			}})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.Before(out[j].at)
		}
		if out[i].kind != out[j].kind {
			return out[i].kind < out[j].kind
		}
		return idLess(out[i].id, out[j].id)
	})
	if len(out) > maxCDCObjects {
		out = out[:maxCDCObjects]
	}
	return out
}
