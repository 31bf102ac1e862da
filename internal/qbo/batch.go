package qbo

import (
	"context"
	"encoding/json"
	"net/http"
)

// Batch limits: items per batch, and the lengths Intuit allows when the
// batch carries a requestid.
const (
	MaxBatchItems     = 30
	maxBatchRequestID = 36
	maxBatchID        = 10
)

// BatchItem is one operation of a batch: Operation on Entity, or Query.
type BatchItem struct {
	BID       string // unique in the batch; at most 10 characters with a requestid
	Operation string // create, update, delete or void
	Entity    Entity
	Query     string // a query statement, instead of Operation and Entity
	Options   string // optionsData, e.g. "allowduplicatedocnum"
}

// BatchResult is QBO's answer to one item, matched by BID.
type BatchResult struct {
	BID  string
	Name string          // the entity name, or "QueryResponse"
	Raw  json.RawMessage // the entity or QueryResponse object; nil with Err
	Err  *Error          // the item's Fault, nil when the item succeeded
}

// Batch sends up to MaxBatchItems items in one call and returns their
// results in QBO's order. The call as a whole fails only when the batch
// does; each item's Fault is in its result.
func (c *Client) Batch(ctx context.Context, realmID string, items []BatchItem, requestID string) ([]BatchResult, error) {
	ops, err := checkBatch(items, requestID)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{"BatchItemRequest": batchBody(items)})
	if err != nil {
		return nil, invalid("batch", "encode: %v", err)
	}
	env, err := c.Do(ctx, Request{Op: "batch", Method: http.MethodPost, RealmID: realmID, Path: "batch",
		Body: body, ContentType: "application/json", RequestID: requestID})
	if err != nil {
		return nil, err
	}
	var raw []Envelope
	if err := env.decode("batch", "BatchItemResponse", &raw); err != nil {
		return nil, err
	}
	out := make([]BatchResult, 0, len(raw))
	for _, item := range raw {
		out = append(out, batchResult(item, ops))
	}
	return out, nil
}

// batchOp is what a bId asked for: its operation label and the name of
// the object its answer carries.
type batchOp struct{ op, name string }

func checkBatch(items []BatchItem, requestID string) (map[string]batchOp, error) {
	if len(items) == 0 || len(items) > MaxBatchItems {
		return nil, invalid("batch", "%d items (1 to %d allowed)", len(items), MaxBatchItems)
	}
	if len(requestID) > maxBatchRequestID {
		return nil, invalid("batch", "requestid longer than %d characters", maxBatchRequestID)
	}
	ops := make(map[string]batchOp, len(items))
	for _, it := range items {
		switch {
		case it.BID == "":
			return nil, invalid("batch", "item without bId")
		case requestID != "" && len(it.BID) > maxBatchID:
			return nil, invalid("batch", "bId %q longer than %d characters", it.BID, maxBatchID)
		case ops[it.BID] != batchOp{}:
			return nil, invalid("batch", "bId %q used twice", it.BID)
		case (it.Query == "") == (it.Entity == nil):
			return nil, invalid("batch", "bId %q needs either an entity or a query", it.BID)
		case it.Entity != nil && it.Operation == "":
			return nil, invalid("batch", "bId %q has no operation", it.BID)
		}
		if it.Entity == nil {
			ops[it.BID] = batchOp{op: "batch query (bId " + it.BID + ")", name: "QueryResponse"}
			continue
		}
		name := it.Entity.EntityName()
		ops[it.BID] = batchOp{op: "batch " + it.Operation + " " + name + " (bId " + it.BID + ")", name: name}
	}
	return ops, nil
}

func batchBody(items []BatchItem) []map[string]any {
	body := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m := map[string]any{"bId": it.BID}
		if it.Entity == nil {
			m["Query"] = it.Query
		} else {
			m["operation"] = it.Operation
			m[it.Entity.EntityName()] = it.Entity
		}
		if it.Options != "" {
			m["optionsData"] = it.Options
		}
		body = append(body, m)
	}
	return body
}

func batchResult(item Envelope, ops map[string]batchOp) BatchResult {
	var r BatchResult
	if raw, ok := item.field("bId"); ok {
		_ = json.Unmarshal(raw, &r.BID) // a missing bId stays empty
	}
	want := ops[r.BID]
	if want.op == "" {
		want.op = "batch (bId " + r.BID + ")"
	}
	if raw, ok := item.field("Fault"); ok {
		var f jsonFault
		if err := json.Unmarshal(raw, &f); err != nil || len(f.Error) == 0 {
			r.Err = malformed(want.op, http.StatusOK, "", "unreadable Fault")
			return r
		}
		r.Err = faultError(want.op, http.StatusOK, "", f.Type, f.faults())
		return r
	}
	if raw, ok := item.field(want.name); ok && want.name != "" {
		r.Name, r.Raw = want.name, raw
		return r
	}
	for k, raw := range item {
		if k != "bId" {
			r.Name, r.Raw = k, raw
			return r
		}
	}
	r.Err = malformed(want.op, http.StatusOK, "", "empty batch item")
	return r
}

// BatchEntity decodes an entity result, or returns the item's Fault.
func BatchEntity[T Entity](r BatchResult) (T, error) {
	var v T
	if r.Err != nil {
		return v, r.Err
	}
	name := entityName[T]()
	if r.Name != name {
		return v, malformed("batch (bId "+r.BID+")", http.StatusOK, "", "holds %s, not %s", r.Name, name)
	}
	if err := json.Unmarshal(r.Raw, &v); err != nil {
		return v, malformed("batch (bId "+r.BID+")", http.StatusOK, "", "%s: %v", name, err)
	}
	return v, nil
}

// BatchQuery decodes a query result, or returns the item's Fault.
func BatchQuery[T Entity](r BatchResult) ([]T, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var qr Envelope
	if r.Name != "QueryResponse" || json.Unmarshal(r.Raw, &qr) != nil {
		return nil, malformed("batch (bId "+r.BID+")", http.StatusOK, "", "holds %s, not a QueryResponse", r.Name)
	}
	var out []T
	if raw, ok := qr.field(entityName[T]()); ok {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, malformed("batch (bId "+r.BID+")", http.StatusOK, "", "QueryResponse: %v", err)
		}
	}
	return out, nil
}
