package qbosim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxQueryResults is the most rows one query page returns.
const maxQueryResults = 1000

// runQuery executes a statement and returns the QueryResponse object.
func (c *company) runQuery(src string) (map[string]any, error) {
	q, err := parseQuery(src)
	if err != nil {
		return nil, err
	}
	k := kindByName(q.entity)
	if k == nil {
		return nil, errQueryInvalid(fmt.Sprintf("Entity '%s' is not supported by the query service", q.entity))
	}
	if q.max < 1 || q.max > maxQueryResults {
		return nil, errQueryInvalid(fmt.Sprintf("MAXRESULTS must be between 1 and %d, got %d", maxQueryResults, q.max))
	}
	if q.start < 1 {
		return nil, errQueryInvalid(fmt.Sprintf("STARTPOSITION must be at least 1, got %d", q.start))
	}
	preds, filtersActive, err := resolvePredicates(k, q.where)
	if err != nil {
		return nil, err
	}
	orders, err := resolveOrder(k, q.orderBy)
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	for _, r := range c.queryRows(k) {
		if k.nameList && !filtersActive && !boolean(r, "Active", true) {
			continue // inactive name-list records only show when Active is filtered
		}
		if matchAll(r, preds) {
			rows = append(rows, r)
		}
	}
	if q.count {
		return map[string]any{"totalCount": len(rows)}, nil
	}
	sortRows(rows, orders)
	from := q.start - 1
	if from >= len(rows) {
		return map[string]any{}, nil
	}
	rows = rows[from:min(len(rows), from+q.max)]
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = project(r, q.columns)
	}
	return map[string]any{k.name: out, "startPosition": q.start, "maxResults": len(out)}, nil
}

func (c *company) queryRows(k *kind) []map[string]any {
	switch k.name {
	case "CompanyInfo":
		return []map[string]any{c.companyInfoEntity()}
	case "Preferences":
		return []map[string]any{c.preferencesEntity()}
	}
	var rows []map[string]any
	for _, e := range c.all(k.name) {
		rows = append(rows, e.render())
	}
	return rows
}

// boundPredicate is a predicate resolved against its entity's properties.
type boundPredicate struct {
	predicate
	typ  fieldType
	like *regexp.Regexp
}

func resolvePredicates(k *kind, where []predicate) ([]boundPredicate, bool, error) {
	var out []boundPredicate
	active := false
	for _, p := range where {
		name, typ, ok := k.field(p.field)
		if !ok {
			return nil, false, errQueryInvalid(fmt.Sprintf("property '%s' is not queryable", p.field))
		}
		if name == "Active" {
			active = true
		}
		p.field = name
		bp := boundPredicate{predicate: p, typ: typ}
		if p.op == "LIKE" {
			if typ != fString {
				return nil, false, errQueryInvalid(fmt.Sprintf("LIKE is only supported on text properties, not '%s'", name))
			}
			bp.like = likePattern(p.values[0].text)
		}
		for _, v := range p.values {
			if err := checkLiteral(typ, p.op, v); err != nil {
				return nil, false, err
			}
		}
		out = append(out, bp)
	}
	return out, active, nil
}

func checkLiteral(typ fieldType, op string, v literal) error {
	switch typ {
	case fBool:
		if v.text != "true" && v.text != "false" {
			return errQueryParse(fmt.Sprintf("'%s' is not a boolean", v.text))
		}
		if op != "=" && op != "IN" {
			return errQueryInvalid("boolean properties support only = and IN")
		}
	case fNumber:
		if _, ok := new(big.Rat).SetString(v.text); !ok {
			return errQueryParse(fmt.Sprintf("'%s' is not a number", v.text))
		}
	case fDate, fDateTime:
		if _, ok := parseQueryTime(v.text); !ok {
			return errQueryParse(fmt.Sprintf("'%s' is not a date or date-time", v.text))
		}
	}
	return nil
}

func resolveOrder(k *kind, orders []ordering) ([]boundOrder, error) {
	var out []boundOrder
	for _, o := range orders {
		name, typ, ok := k.field(o.field)
		if !ok {
			return nil, errQueryInvalid(fmt.Sprintf("property '%s' is not sortable", o.field))
		}
		out = append(out, boundOrder{field: name, typ: typ, desc: o.desc})
	}
	return out, nil
}

type boundOrder struct {
	field string
	typ   fieldType
	desc  bool
}

func sortRows(rows []map[string]any, orders []boundOrder) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, o := range orders {
			a, aok := rowValue(rows[i], o.field, o.typ)
			b, bok := rowValue(rows[j], o.field, o.typ)
			if !aok || !bok {
				if aok != bok {
					return aok != o.desc // missing values sort last ascending
				}
				continue
			}
			cmp := compareValues(o.typ, a, b)
			if cmp != 0 {
				return (cmp < 0) != o.desc
			}
		}
		return false
	})
}

func matchAll(row map[string]any, preds []boundPredicate) bool {
	for _, p := range preds {
		v, ok := rowValue(row, p.field, p.typ)
		if !ok || !p.match(v) {
			return false
		}
	}
	return true
}

func (p boundPredicate) match(v string) bool {
	if p.like != nil {
		return p.like.MatchString(v)
	}
	for _, lit := range p.values {
		cmp := compareValues(p.typ, v, lit.text)
		var ok bool
		switch p.op {
		case "=", "IN":
			ok = cmp == 0
		case "<":
			ok = cmp < 0
		case ">":
			ok = cmp > 0
		case "<=":
			ok = cmp <= 0
		case ">=":
			ok = cmp >= 0
		}
		if ok {
			return true
		}
	}
	return false
}

// rowValue reads a property as text: MetaData.X from the metadata, the value
// of a reference, JSON numbers and booleans as written.
func rowValue(row map[string]any, field string, typ fieldType) (string, bool) {
	var v any
	if rest, ok := strings.CutPrefix(field, "MetaData."); ok {
		v = obj(row, "MetaData")[rest]
	} else if typ == fRef {
		s := refValue(row, field)
		return s, s != ""
	} else {
		v = row[field]
	}
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

// compareValues orders two property values of a type.
func compareValues(typ fieldType, a, b string) int {
	switch typ {
	case fString:
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	case fID, fRef:
		ai, errA := strconv.ParseInt(a, 10, 64)
		bi, errB := strconv.ParseInt(b, 10, 64)
		if errA == nil && errB == nil {
			return cmpInt(ai, bi)
		}
		return strings.Compare(a, b)
	case fNumber:
		ar, okA := new(big.Rat).SetString(a)
		br, okB := new(big.Rat).SetString(b)
		if okA && okB {
			return ar.Cmp(br)
		}
	case fDate:
		return strings.Compare(firstN(a, 10), firstN(b, 10))
	case fDateTime:
		at, okA := parseQueryTime(a)
		bt, okB := parseQueryTime(b)
		if okA && okB {
			return at.Compare(bt)
		}
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// parseQueryTime reads the date and date-time forms queries and CDC accept;
// a value without an offset is Pacific time, as QuickBooks reads it
// (intuit/QuickBooks-V3-PHP-SDK#69).
func parseQueryTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, intuitZone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// likePattern compiles a LIKE pattern: % matches any run of characters,
// case-insensitively.
func likePattern(p string) *regexp.Regexp {
	parts := strings.Split(p, "%")
	for i, s := range parts {
		parts[i] = regexp.QuoteMeta(s)
	}
	return regexp.MustCompile("(?is)^" + strings.Join(parts, ".*") + "$")
}

// project keeps the selected properties of a row; nil columns keep all.
func project(row map[string]any, columns []string) map[string]any {
	if columns == nil {
		return row
	}
	out := map[string]any{}
	for _, col := range columns {
		for k, v := range row {
			if strings.EqualFold(k, col) {
				out[k] = v
			}
		}
	}
	return out
}
