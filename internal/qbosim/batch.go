package qbosim

import (
	"errors"
	"time"
)

// maxBatchItems is the most items one batch may carry.
const maxBatchItems = 30

// batch runs BatchItemRequest items in order. Each item succeeds or fails
// on its own with a per-item Fault; the batch itself answers 200.
func (c *company) batch(body map[string]any, now time.Time) (map[string]any, error) {
	raw, ok := body["BatchItemRequest"].([]any)
	if !ok {
		return nil, errRequired("BatchItemRequest")
	}
	if len(raw) > maxBatchItems {
		return nil, errBusiness("A batch request can hold at most %d items; this one has %d.", maxBatchItems, len(raw))
	}
	seen := map[string]bool{}
	out := make([]any, 0, len(raw))
	for _, item := range raw {
		m, _ := item.(map[string]any)
		res := map[string]any{"bId": str(m, "bId")}
		payload, err := c.batchItem(m, seen, now)
		if err != nil {
			var f *Fault
			if !errors.As(err, &f) {
				f = errSystem(500)
			}
			res["Fault"] = f.faultJSON()
		}
		for k, v := range payload {
			res[k] = v
		}
		out = append(out, res)
	}
	return map[string]any{"BatchItemResponse": out}, nil
}

var batchKeys = map[string]bool{"bId": true, "operation": true, "optionsData": true, "Query": true}

func (c *company) batchItem(m map[string]any, seen map[string]bool, now time.Time) (map[string]any, error) {
	if m == nil {
		return nil, errMalformed("a BatchItemRequest item must be an object")
	}
	bID := str(m, "bId")
	if bID == "" {
		return nil, errRequired("bId")
	}
	if seen[bID] {
		return nil, errBusiness("bId %q is used by more than one item of the batch.", bID)
	}
	seen[bID] = true
	if q, ok := m["Query"].(string); ok {
		k, _ := queryEntity(q)
		c.gate.count("query", nameOf(k))
		qr, err := c.runQuery(q)
		if err != nil {
			return nil, err
		}
		return map[string]any{"QueryResponse": qr}, nil
	}
	k, body, err := batchEntity(m)
	if err != nil {
		return nil, err
	}
	op := str(m, "operation")
	opts := str(m, "optionsData")
	operation := op
	switch op {
	case "create", "update", "delete", "void":
	case "":
		return nil, errRequired("operation")
	default:
		return nil, errUnsupportedOperation("Batch operation " + op + " is not supported.")
	}
	if op == "update" && hasOption(opts, "void") {
		op = "void"
	}
	c.gate.count(op, k.name)
	row, err := c.write(op, k, body, operation, writeOptions{allowDuplicateDocNumber: hasOption(opts, "allowduplicatedocnum")}, now)
	if err != nil {
		return nil, err
	}
	return map[string]any{k.name: row}, nil
}

// batchEntity finds the one entity an item carries, keyed by its exact
// Intuit name.
func batchEntity(m map[string]any) (*kind, map[string]any, error) {
	var k *kind
	var body map[string]any
	for key := range m {
		if batchKeys[key] {
			continue
		}
		kk := kindByName(key)
		if kk == nil || kk.name != key || k != nil {
			return nil, nil, errUnsupportedProperty(key)
		}
		k, body = kk, obj(m, key)
	}
	if k == nil || body == nil {
		return nil, nil, errRequired("an entity or Query")
	}
	return k, body, nil
}

func nameOf(k *kind) string {
	if k == nil {
		return ""
	}
	return k.name
}
