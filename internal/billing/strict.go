package billing

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qbosync/qbosync/internal/money"
)

// MaxAmount bounds every amount (in minor units, either sign). It keeps
// sums of 500 lines far from int64 overflow and is above any real invoice.
const MaxAmount = 999_999_999_999_999

// MaxVersion is 2^53 - 1: a JavaScript billing system, and a JSON Schema
// validator written in JavaScript, lose larger integers.
const MaxVersion = 1<<53 - 1

// The strict decoder walks the JSON next to the Go type, so that it can
// report every problem with its path instead of stopping at the first
// one, as encoding/json does.

// field holds the struct-tag rules of one field.
type field struct {
	name     string
	required bool
	limit    int
	format   string
	enum     []string
	amount   string
}

func fieldOf(sf reflect.StructField) field {
	tag := sf.Tag.Get("json")
	name, opts, _ := strings.Cut(tag, ",")
	f := field{
		name:     name,
		required: !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero"),
		format:   sf.Tag.Get("format"),
		amount:   sf.Tag.Get("amount"),
	}
	f.limit, _ = strconv.Atoi(sf.Tag.Get("limit"))
	if e := sf.Tag.Get("enum"); e != "" {
		f.enum = strings.Split(e, "|")
	}
	return f
}

// decodeData decodes the JSON object raw into v, a pointer to a snapshot.
func decodeData(p *problems, path string, raw json.RawMessage, v any) {
	decodeStruct(p, path, raw, reflectValue(v))
}

type member struct {
	key string
	raw json.RawMessage
}

// members returns an object's members in document order. raw must be
// valid JSON (the caller checked the whole body).
func members(raw json.RawMessage) []member {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, member{key: tok.(string), raw: v})
	}
	return out
}

// jsonKind is the first byte of a JSON value: '{', '[', '"', 't', 'f',
// 'n', or '0' for a number.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 'n'
	}
	switch c := raw[0]; c {
	case '{', '[', '"', 't', 'f', 'n':
		return c
	}
	return '0'
}

func decodeStruct(p *problems, path string, raw json.RawMessage, v reflect.Value) {
	if jsonKind(raw) != '{' {
		p.add(path, "must be an object")
		return
	}
	t := v.Type()
	byName := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		byName[fieldOf(t.Field(i)).name] = i
	}
	present := map[string]json.RawMessage{}
	for _, m := range members(raw) {
		fp := join(path, m.key)
		if _, dup := present[m.key]; dup {
			p.add(fp, "appears more than once")
			continue
		}
		present[m.key] = m.raw
		if _, ok := byName[m.key]; !ok {
			p.add(fp, "is not a field of the v1 contract")
		}
	}
	for i := range t.NumField() {
		f := fieldOf(t.Field(i))
		fp := join(path, f.name)
		r, ok := present[f.name]
		if !ok || jsonKind(r) == 'n' {
			if f.required {
				p.add(fp, "is required")
			}
			continue
		}
		decodeField(p, fp, r, v.Field(i), f)
	}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

var rawMessage = reflect.TypeFor[json.RawMessage]()

func decodeField(p *problems, path string, raw json.RawMessage, v reflect.Value, f field) {
	if v.Type() == rawMessage {
		// Kept unparsed: the envelope's data is decoded once its kind is known.
		if jsonKind(raw) != '{' {
			p.add(path, "must be an object")
			return
		}
		v.SetBytes(raw)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		decodeText(p, path, raw, v)
		return
	}
	switch v.Kind() {
	case reflect.String:
		decodeString(p, path, raw, v, f)
	case reflect.Int64:
		decodeInt(p, path, raw, v, f)
	case reflect.Bool:
		if k := jsonKind(raw); k != 't' && k != 'f' {
			p.add(path, "must be true or false")
			return
		}
		v.SetBool(jsonKind(raw) == 't')
	case reflect.Slice:
		decodeSlice(p, path, raw, v, f)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		decodeStruct(p, path, raw, v.Elem())
	case reflect.Struct:
		decodeStruct(p, path, raw, v)
	default:
		panic("billing: no decoder for " + v.Type().String())
	}
}

func decodeText(p *problems, path string, raw json.RawMessage, v reflect.Value) {
	var s string
	if jsonKind(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		if v.Type() == reflect.TypeFor[Quantity]() {
			p.add(path, `must be a decimal number written as a string, like "1.5"`)
			return
		}
		p.add(path, "must be a string")
		return
	}
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		p.add(path, "%s", err.Error())
	}
}

func decodeString(p *problems, path string, raw json.RawMessage, v reflect.Value, f field) {
	var s string
	if jsonKind(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		p.add(path, "must be a string")
		return
	}
	v.SetString(s)
	switch n := utf8.RuneCountInString(s); {
	case f.limit > 0 && n > f.limit:
		p.add(path, "must be at most %d characters (has %d)%s", f.limit, n, limitReason(f.name))
		return
	case hasControl(s):
		// Before the blank check: "\f" is white space to strings.TrimSpace.
		p.add(path, "must not contain control characters (tab and line breaks are allowed)")
		return
	case strings.TrimSpace(s) == "":
		if f.required {
			p.add(path, "must not be empty")
			return
		}
		// An optional value that is only white space is no value for free
		// text, but it is no id, email or code either: a line whose
		// product_id is blank would wait forever for that product.
		if s == "" || f.format == "" && f.enum == nil {
			return
		}
	}
	checkFormat(p, path, s, f)
}

// limitReason explains limits set by QuickBooks rather than by us.
func limitReason(name string) string {
	if name == "number" {
		return ": QuickBooks keeps at most 21 characters in an invoice's DocNumber"
	}
	return ""
}

// hasControl reports C0 controls other than tab and line breaks, DEL and
// the C1 controls U+0080–U+009F (U+0085 is a line break to some readers
// and none to others; QuickBooks shows any of them as garbage).
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}

func checkFormat(p *problems, path, s string, f field) {
	switch f.format {
	case "id":
		if !ValidEntityID(s) {
			p.add(path, "must be an id of 1 to 64 characters among A-Z a-z 0-9 . _ : -")
		}
	case "currency":
		if !money.Known(s) {
			p.add(path, "must be an active ISO 4217 currency code in upper case, like USD")
		}
	case "email":
		if !validEmail(s) {
			p.add(path, "must be an email address")
		}
	case "country":
		if !validCountry(s) {
			p.add(path, "must be an ISO 3166-1 alpha-2 country code in upper case, like US")
		}
	}
	if f.enum != nil && !contains(f.enum, s) {
		p.add(path, "must be one of %s", strings.Join(f.enum, ", "))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func decodeInt(p *problems, path string, raw json.RawMessage, v reflect.Value, f field) {
	what := "an integer"
	if f.amount != "" {
		what = "an integer number of minor units (1999 for 19.99)"
	}
	text := string(bytes.TrimSpace(raw))
	switch {
	case jsonKind(raw) == '"':
		p.add(path, "must be %s as a JSON number, not a string", what)
		return
	case jsonKind(raw) != '0':
		p.add(path, "must be %s", what)
		return
	case strings.ContainsAny(text, ".eE"):
		p.add(path, "must be %s, not a decimal or exponent number", what)
		return
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		p.add(path, "is out of range")
		return
	}
	v.SetInt(n)
	if f.amount == "" {
		return
	}
	switch {
	case n > MaxAmount || n < -MaxAmount:
		p.add(path, "must be between -%d and %d", int64(MaxAmount), int64(MaxAmount))
	case f.amount == "positive" && n <= 0:
		p.add(path, "must be greater than 0")
	case f.amount == "nonnegative" && n < 0:
		p.add(path, "must not be negative")
	}
}

func decodeSlice(p *problems, path string, raw json.RawMessage, v reflect.Value, f field) {
	var items []json.RawMessage
	if jsonKind(raw) != '[' || json.Unmarshal(raw, &items) != nil {
		p.add(path, "must be a list")
		return
	}
	if f.limit > 0 && len(items) > f.limit {
		p.add(path, "must have at most %d items (has %d)", f.limit, len(items))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		decodeField(p, index(path, i), item, s.Index(i), field{name: f.name})
	}
	v.Set(s)
}

func reflectValue(ptr any) reflect.Value { return reflect.ValueOf(ptr).Elem() }
