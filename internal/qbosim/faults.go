package qbosim

import (
	"fmt"
	"strings"
)

// faultRule makes the next Count matching requests fail. Entity and
// Operation narrow what matches; empty matches everything.
type faultRule struct {
	Entity       string `json:"entity,omitempty"`
	Operation    string `json:"operation,omitempty"`
	Count        int    `json:"count"`
	Status       int    `json:"status,omitempty"`
	Timeout      bool   `json:"timeout,omitempty"`
	LatencyMS    int    `json:"latency_ms,omitempty"`
	DropResponse bool   `json:"drop_response,omitempty"`
	// Throttle answers ThrottleExceeded (3001) with Status (default 429);
	// Format "xml" sends it as an XML IntuitResponse. Intuit has been seen
	// to do both, and with 403 rather than 429.
	Throttle bool   `json:"throttle,omitempty"`
	Format   string `json:"format,omitempty"`
}

var faultOperations = []string{"create", "read", "update", "delete", "void", "query", "batch", "cdc"}

func (r *faultRule) validate() error {
	if r.Count == 0 {
		r.Count = 1
	}
	if r.Count < 0 {
		return fmt.Errorf("count must be positive")
	}
	if err := r.validateThrottle(); err != nil {
		return err
	}
	switch {
	case r.Throttle:
	case r.Status == 0, r.Status == 429, r.Status == 500, r.Status == 502, r.Status == 503, r.Status == 504:
	default:
		return fmt.Errorf("status must be 429, 500, 502, 503 or 504")
	}
	if r.LatencyMS < 0 {
		return fmt.Errorf("latency_ms must not be negative")
	}
	if r.Status != 0 && (r.DropResponse || r.Timeout) {
		return fmt.Errorf("status cannot be combined with timeout or drop_response")
	}
	if r.Status == 0 && !r.Timeout && !r.DropResponse && r.LatencyMS == 0 {
		return fmt.Errorf("a fault needs status, timeout, drop_response or latency_ms")
	}
	if r.Entity != "" {
		k := kindByName(r.Entity)
		if k == nil {
			return fmt.Errorf("unknown entity %q", r.Entity)
		}
		r.Entity = k.name
	}
	if r.Operation != "" {
		r.Operation = strings.ToLower(r.Operation)
		known := false
		for _, op := range faultOperations {
			known = known || op == r.Operation
		}
		if !known {
			return fmt.Errorf("operation must be one of %s", strings.Join(faultOperations, ", "))
		}
	}
	return nil
}

func (r *faultRule) validateThrottle() error {
	switch r.Format {
	case "", "json", "xml":
	default:
		return fmt.Errorf(`format must be "json" or "xml"`)
	}
	if r.Format != "" && !r.throttles() {
		return fmt.Errorf("format needs throttle or status 429")
	}
	if !r.Throttle {
		return nil
	}
	if r.Status == 0 {
		r.Status = 429
	}
	switch r.Status {
	case 400, 403, 429, 500, 503:
		return nil
	}
	return fmt.Errorf("a throttle status must be 400, 403, 429, 500 or 503")
}

// throttles reports a rule that answers ThrottleExceeded.
func (r *faultRule) throttles() bool { return r.Throttle || r.Status == 429 }

func (r *faultRule) throttleFault() *Fault {
	f := errThrottled(r.Status)
	f.xml = r.Format == "xml"
	return f
}

func (r *faultRule) matches(op, entity string) bool {
	return (r.Operation == "" || r.Operation == op) && (r.Entity == "" || r.Entity == entity)
}

func (g *gate) addFault(r faultRule) {
	g.mu.Lock()
	g.faults = append(g.faults, &r)
	g.mu.Unlock()
}

// takeFault consumes one use of the first rule matching the request.
func (g *gate) takeFault(op, entity string) *faultRule {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, r := range g.faults {
		if !r.matches(op, entity) {
			continue
		}
		r.Count--
		if r.Count == 0 {
			g.faults = append(g.faults[:i:i], g.faults[i+1:]...)
		}
		g.stats.FaultsInjected++
		taken := *r
		return &taken
	}
	return nil
}

func (g *gate) pendingFaults() []faultRule {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]faultRule, 0, len(g.faults))
	for _, r := range g.faults {
		out = append(out, *r)
	}
	return out
}

func (g *gate) clearFaults() {
	g.mu.Lock()
	g.faults = nil
	g.mu.Unlock()
}
