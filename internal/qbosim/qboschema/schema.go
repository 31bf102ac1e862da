package qboschema

import (
	"slices"
	"strconv"
	"strings"
)

// property is one JSON key of a complex type.
type property struct {
	typ      string // XSD type; a key of complexTypes when it has properties
	repeated bool
	readOnly bool
}

type complexType struct {
	props map[string]property
	open  bool // the schema allows any content below (xs:any)
}

// anyType is XSD's ur-type, the type of an element declared without one.
const anyType = "xs:anyType"

// Entities returns the names of the top-level entities, sorted.
func Entities() []string {
	names := make([]string, 0, len(entityTypes))
	for name := range entityTypes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// entityType finds an entity by its schema name, falling back to a
// case-insensitive match so URL segments such as "creditmemo" work too.
func entityType(entity string) (complexType, bool) {
	name, ok := entityTypes[entity]
	if !ok {
		for e, t := range entityTypes {
			if strings.EqualFold(e, entity) {
				name, ok = t, true
				break
			}
		}
	}
	if !ok {
		return complexType{}, false
	}
	return complexTypes[name], true
}

// Check walks a request body decoded from JSON and reports the first
// property the schema does not define for its place, as a path such as
// "Line[0].SalesItemLineDetail.Foo". Keys are visited in sorted order so the
// answer is deterministic. An unknown entity yields ("", false).
func Check(entity string, body map[string]any) (badPath string, ok bool) {
	t, found := entityType(entity)
	if !found {
		return "", false
	}
	if bad := checkObject(t, body, ""); bad != "" {
		return bad, false
	}
	return "", true
}

func checkObject(t complexType, obj map[string]any, prefix string) string {
	if t.open {
		return ""
	}
	for _, key := range sortedKeys(obj) {
		p, ok := t.props[key]
		if !ok {
			return prefix + key
		}
		if bad := checkValue(p, obj[key], prefix+key); bad != "" {
			return bad
		}
	}
	return ""
}

func checkValue(p property, v any, path string) string {
	switch v := v.(type) {
	case map[string]any:
		if p.typ == anyType {
			return ""
		}
		child, complex := complexTypes[p.typ]
		if !complex {
			// A simple value written as an object: none of its keys exist.
			if keys := sortedKeys(v); len(keys) > 0 {
				return path + "." + keys[0]
			}
			return ""
		}
		return checkObject(child, v, path+".")
	case []any:
		for i, e := range v {
			if bad := checkValue(p, e, path+"["+strconv.Itoa(i)+"]"); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// ReadOnly reports whether the schema documents the property at path as not
// writable, or lies inside one that is ("MetaData.CreateTime"). The path
// uses dots between properties; array indexes such as "Line[0]" are allowed
// and ignored. Unknown entities and properties are not read-only.
func ReadOnly(entity, path string) bool {
	t, ok := entityType(entity)
	if !ok || path == "" {
		return false
	}
	for _, seg := range strings.Split(path, ".") {
		if i := strings.IndexByte(seg, '['); i >= 0 {
			seg = seg[:i]
		}
		p, ok := t.props[seg]
		if !ok {
			return false
		}
		if p.readOnly {
			return true
		}
		if t, ok = complexTypes[p.typ]; !ok {
			return false
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
