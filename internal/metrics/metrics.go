// Package metrics writes CloudWatch Embedded Metric Format (EMF) log
// lines: one JSON object per line which CloudWatch Logs turns into metrics
// in Namespace, without a PutMetricData call (or its IAM permission) in
// the request path.
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace holds every metric the service emits.
const Namespace = "qbosync"

// Metric names.
const (
	EntitiesSynced = "EntitiesSynced" // an entity reached QuickBooks (created, updated or voided)
	Warnings       = "Warnings"       // QuickBooks refused an entity; an admin must act
	Deferred       = "Deferred"       // an entity waits for a parent or for the connection
	QBORequests    = "QBORequests"    // Accounting API calls sent
	SyncLatency    = "WebhookToQBOLatency"
)

// Units CloudWatch accepts.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// Value is one metric datum.
type Value struct {
	Name  string
	Unit  string
	Value float64
}

// Writer writes EMF lines; the zero of *Writer (nil) writes nothing.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// New returns a Writer to w (a Lambda function's stdout); now may be nil.
func New(w io.Writer, now func() time.Time) *Writer {
	if now == nil {
		now = time.Now
	}
	return &Writer{w: w, now: now}
}

// Emit writes one line holding values, dimensioned by dims (name →
// value, e.g. Kind). props are written too but are not dimensions (ids,
// tenants: too many values to be worth a metric each).
func (w *Writer) Emit(dims, props map[string]string, values ...Value) error {
	if w == nil || len(values) == 0 {
		return nil
	}
	doc := map[string]any{}
	for k, v := range props {
		doc[k] = v
	}
	names := make([]string, 0, len(dims))
	for k, v := range dims {
		doc[k] = v
		names = append(names, k)
	}
	sort.Strings(names)
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	var defs []metric
	for _, v := range values {
		doc[v.Name] = v.Value
		defs = append(defs, metric{v.Name, v.Unit})
	}
	doc["_aws"] = map[string]any{
		"Timestamp": w.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace": Namespace, "Dimensions": [][]string{names}, "Metrics": defs,
		}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("emf line: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write emf line: %w", err)
	}
	return nil
}
