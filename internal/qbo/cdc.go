package qbo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxCDCObjects is the most objects one change data capture call returns;
// a full answer means more changes may follow the newest one returned.
const MaxCDCObjects = 1000

// Changes is what one CDC call returned, by entity name: the raw objects,
// deleted ones as stubs with "status": "Deleted".
type Changes map[string][]json.RawMessage

// Len is the number of objects returned over every entity.
func (c Changes) Len() int {
	n := 0
	for _, objs := range c {
		n += len(objs)
	}
	return n
}

// CDC asks for every object of entities changed at or after since (at
// most 30 days back), in one request.
func (c *Client) CDC(ctx context.Context, realmID string, entities []string, since time.Time) (Changes, error) {
	params := url.Values{"entities": {strings.Join(entities, ",")},
		"changedSince": {since.UTC().Format(time.RFC3339)}}
	env, err := c.Do(ctx, Request{Op: "cdc", Method: http.MethodGet, RealmID: realmID, Path: "cdc", Params: params})
	if err != nil {
		return nil, err
	}
	var body []struct {
		QueryResponse []map[string]json.RawMessage
	}
	if err := env.decode("cdc", "CDCResponse", &body); err != nil {
		return nil, err
	}
	out := Changes{}
	for _, b := range body {
		for _, qr := range b.QueryResponse {
			for _, name := range entities {
				raw, ok := qr[name]
				if !ok {
					continue
				}
				var objs []json.RawMessage
				if err := json.Unmarshal(raw, &objs); err != nil {
					return nil, malformed("cdc", http.StatusOK, "", "%s: %v", name, err)
				}
				out[name] = append(out[name], objs...)
			}
		}
	}
	return out, nil
}
