package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// UnchangedError: the same version with the same content is already
// stored; nothing was written. Status is the entity's status, so the
// caller can tell a settled entity from one still on its way.
type UnchangedError struct {
	Status Status
}

func (e *UnchangedError) Error() string {
	return "version already stored with the same content (" + string(e.Status) + ")"
}

// VersionConflictError: the same version was stored with other content.
// Field is the first top-level field of the data that differs.
type VersionConflictError struct {
	Version int64
	Field   string
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("version %d was already received with a different %q", e.Version, e.Field)
}

// SameVersion compares a re-sent version's data with the stored entity's:
// an *UnchangedError when they are equal as JSON, else a
// *VersionConflictError naming the first field that differs. Every store
// answers a re-sent version with it.
func SameVersion(cur EntityState, data []byte) error {
	if bytes.Equal(cur.Data, data) {
		return &UnchangedError{Status: cur.Status}
	}
	var a, b map[string]any
	if json.Unmarshal(cur.Data, &a) != nil || json.Unmarshal(data, &b) != nil {
		return &VersionConflictError{Version: cur.Version, Field: "data"}
	}
	if field := firstDifference(a, b); field != "" {
		return &VersionConflictError{Version: cur.Version, Field: field}
	}
	return &UnchangedError{Status: cur.Status}
}

// firstDifference names, in sorted order, the first key whose values
// differ between a and b; "" when they are equal.
func firstDifference(a, b map[string]any) string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if !reflect.DeepEqual(a[k], b[k]) {
			return k
		}
	}
	return ""
}
