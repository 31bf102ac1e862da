package qbosim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// Entities travel as JSON objects decoded with UseNumber: map[string]any
// holding strings, bools, json.Number, []any and nested objects. Keeping the
// object (rather than a Go struct per entity) lets every property Intuit's
// schema allows round-trip untouched; the helpers below read the few
// properties the bookkeeping needs.

func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decode json: trailing data")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode json: body is not an object")
	}
	return m, nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func list(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}

// boolean reads a JSON boolean, accepting "true"/"false" strings as
// QuickBooks' lenient parser does. def is returned when key is absent.
func boolean(m map[string]any, key string, def bool) bool {
	switch v := m[key].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return def
}

// refValue returns the value of a ReferenceType property such as CustomerRef.
func refValue(m map[string]any, key string) string {
	r := obj(m, key)
	if r == nil {
		return ""
	}
	switch v := r["value"].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}

// numberText returns the decimal text of a numeric property and whether it
// is present.
func numberText(m map[string]any, key string) (string, bool) {
	switch v := m[key].(type) {
	case json.Number:
		return v.String(), true
	case string:
		return strings.TrimSpace(v), v != ""
	}
	return "", false
}

// amount reads a money property exactly. A value with sub-cent precision is
// refused rather than silently rounded.
func amount(m map[string]any, key, element string) (money.Amount, bool, error) {
	s, ok := numberText(m, key)
	if !ok {
		return 0, false, nil
	}
	a, err := money.Parse(s)
	if err != nil {
		return 0, true, errBusiness("%s has an invalid amount %q: it must be a decimal with at most 2 decimal places", element, s)
	}
	return a, true, nil
}

func num(a money.Amount) json.Number { return json.Number(a.String()) }

func jsonNumber(s string) json.Number { return json.Number(s) }

func ref(value, name string) map[string]any {
	r := map[string]any{"value": value}
	if name != "" {
		r["name"] = name
	}
	return r
}

// deepCopy returns a copy of a decoded JSON value sharing nothing mutable
// with v, so stored entities never alias request or response objects.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func copyObject(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return deepCopy(m).(map[string]any)
}

// parseNumber reads a non-money decimal property such as UnitPrice.
func parseNumber(m map[string]any, key string) (*big.Rat, error) {
	text, _ := numberText(m, key)
	r, err := money.ParseRat(text)
	if err != nil {
		return nil, errBusiness("%s %q is not a number.", key, text)
	}
	return r, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
