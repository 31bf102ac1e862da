package billing

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sampleFiles lists the contract samples: the demo set and the catalog.
func sampleFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../../events/billing/*.json", "../../events/billing/catalog/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found %d sample events, want at least 20", len(files))
	}
	return files
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events/billing", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit decodes a sample, applies edits (path → raw JSON value, or "-" to
// delete) and encodes it again. Paths are dotted, with list indexes as
// numbers: "data.lines.0.amount".
func edit(t testing.TB, body []byte, edits map[string]string) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	for path, raw := range edits {
		parts := strings.Split(path, ".")
		parent := doc
		for _, p := range parts[:len(parts)-1] {
			parent = step(t, parent, p)
		}
		last := parts[len(parts)-1]
		switch c := parent.(type) {
		case map[string]any:
			if raw == "-" {
				delete(c, last)
			} else {
				c[last] = json.RawMessage(raw)
			}
		case []any:
			i, _ := strconv.Atoi(last)
			c[i] = json.RawMessage(raw)
		default:
			t.Fatalf("edit %s: not a container", path)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func step(t testing.TB, v any, p string) any {
	switch c := v.(type) {
	case map[string]any:
		return c[p]
	case []any:
		i, err := strconv.Atoi(p)
		if err != nil || i >= len(c) {
			t.Fatalf("bad index %q", p)
		}
		return c[i]
	}
	t.Fatalf("cannot step into %T with %q", v, p)
	return nil
}

func TestSamplesParse(t *testing.T) {
	for _, f := range sampleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := ParseEvent(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if ev.Entity == nil || ev.Entity.EntityID() == "" || ev.Entity.EntityVersion() < 1 {
			t.Errorf("%s: entity not decoded: %+v", f, ev.Entity)
		}
		// Decode, as the sync side calls it, agrees with the webhook.
		ent, err := Decode(ev.Kind, ev.Data)
		if err != nil {
			t.Errorf("%s: Decode: %v", f, err)
		} else if ent.EntityID() != ev.Entity.EntityID() {
			t.Errorf("%s: Decode id %q, ParseEvent id %q", f, ent.EntityID(), ev.Entity.EntityID())
		}
	}
}
