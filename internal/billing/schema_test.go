package billing

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/qbosync/qbosync/internal/money"
)

// The character rules of docs/webhooks.md as ECMA-262 and Go patterns.
// control: C0 controls but tab and line breaks, DEL, C1 controls.
// space: what unicode.IsSpace calls white space, controls left out.
const (
	control             = `\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f`
	space               = ` \t\n\r` + "\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
	textGrammar         = `^[^` + control + `]*$`
	requiredTextGrammar = `^[^` + control + `]*[^` + control + space + `][^` + control + `]*$`
	notInEmail          = `@\x00-\x20\x7f-\x9f`
	emailGrammar        = `^[^` + notInEmail + `]+@[^.` + notInEmail + `][^` + notInEmail + `]*\.[^` + notInEmail + `]*[^.` + notInEmail + `]$`
)

// currencyCodes lists every code money knows, in order.
func currencyCodes() []string {
	var codes []string
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				if code := string([]rune{a, b, c}); money.Known(code) {
					codes = append(codes, code)
				}
			}
		}
	}
	return codes
}

var update = flag.Bool("update", false, "rewrite api/billing-webhook.v1.schema.json from the Go types")

const schemaPath = "../../api/billing-webhook.v1.schema.json"

// TestSchema keeps the published JSON Schema equal to what the Go types
// and their tags say: the schema is generated from them, and this test
// fails when the file differs (rewrite it with -update).
func TestSchema(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the Go types; run go test ./internal/billing -run TestSchema -update", schemaPath)
	}
	var parsed map[string]any
	if err := json.Unmarshal(want, &parsed); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
}

// TestEveryFieldHasLimits: no string or list is unbounded.
func TestEveryFieldHasLimits(t *testing.T) {
	for _, k := range Kinds {
		walkTypes(reflect.TypeOf(newEntity(k)).Elem(), func(st reflect.Type, sf reflect.StructField) {
			switch sf.Type.Kind() {
			case reflect.String, reflect.Slice:
				if sf.Type == reflect.TypeFor[Quantity]() {
					return
				}
				if f := fieldOf(sf); f.limit == 0 && f.enum == nil {
					t.Errorf("%s.%s has no limit tag", st.Name(), sf.Name)
				}
			}
		})
	}
}

func walkTypes(t reflect.Type, fn func(reflect.Type, reflect.StructField)) {
	for i := range t.NumField() {
		sf := t.Field(i)
		fn(t, sf)
		ft := sf.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Date]() {
			walkTypes(ft, fn)
		}
	}
}

// obj is a JSON object that keeps its keys in insertion order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func ref(name string) obj { return obj{{"$ref", "#/$defs/" + name}} }

func defName(t reflect.Type) string {
	var b strings.Builder
	for i, r := range t.Name() {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

var kindDocs = map[Kind]string{
	KindCustomer:       "A billing customer; becomes a QuickBooks customer.",
	KindProduct:        "Something sold; becomes a QuickBooks item.",
	KindInvoice:        "A bill. Invariants: lines[].amount = round(quantity × unit_amount), halves away from zero; subtotal = Σ lines[].amount; discount_total = Σ lines[].discount_amount; tax_total = Σ lines[].tax_amount; total = subtotal − discount_total + tax_total; 0 ≤ amount_due ≤ total; amount_due = 0 when status is paid; line ids unique.",
	KindPayment:        "Money received. Σ applications[].amount ≤ amount; the rest stays as credit on the customer's account. Each invoice at most once.",
	KindRefund:         "Money returned to a customer from a payment (payment_id) or a sale (sale_id): exactly one of the two.",
	KindSale:           "Money received without an invoice; becomes a QuickBooks sales receipt. Lines and totals follow the invoice's invariants (nothing is due); exchange_rate > 0.",
	KindCredit:         "A credit note. Σ applications[].amount ≤ amount; when lines are given, Σ lines[].amount = amount.",
	KindChargeReversal: "Part or all of an invoice's charge reversed.",
	KindWriteOff:       "An unpaid invoice balance written off as bad debt.",
}

func generateSchema(t *testing.T) []byte {
	t.Helper()
	defs := obj{
		{"entity_id", obj{{"type", "string"}, {"pattern", "^[A-Za-z0-9._:-]{1,64}$"},
			{"description", "An entity id: 1–64 characters of A–Z a–z 0–9 . _ : -"}}},
		{"currency", obj{{"type", "string"}, {"enum", currencyCodes()},
			{"description", "An active ISO 4217 currency code."}}},
		{"date", obj{{"type", "string"}, {"format", "date"}, {"pattern", dateGrammar},
			{"description", "An existing day YYYY-MM-DD, year 1900 or later."}}},
		{"quantity", obj{{"type", "string"}, {"pattern", `^[0-9]{1,12}(\.[0-9]{1,6})?$`},
			{"description", "A non-negative decimal number as a string: up to 12 digits, up to 6 decimals."}}},
		{"exchange_rate", obj{{"type", "string"}, {"pattern", `^[0-9]{1,9}(\.[0-9]{1,10})?$`},
			{"description", "Optional: home-currency units per one unit of the document's currency, a positive decimal as a string (\"1.0825\"). Without it QuickBooks applies its own rate; in the home currency it is 1."}}},
		{"amount", obj{{"type", "integer"}, {"minimum", -MaxAmount}, {"maximum", MaxAmount},
			{"description", "Minor units of the entity's currency (1999 = 19.99 USD), written without fraction or exponent."}}},
		{"positive_amount", obj{{"type", "integer"}, {"allOf", []any{ref("amount")}}, {"minimum", 1}}},
		{"nonnegative_amount", obj{{"type", "integer"}, {"allOf", []any{ref("amount")}}, {"minimum", 0}}},
	}
	var types []reflect.Type
	for _, k := range Kinds {
		walkTypes(reflect.TypeOf(newEntity(k)).Elem(), func(_ reflect.Type, sf reflect.StructField) {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Date]() {
				types = append(types, ft)
			}
		})
	}
	for _, k := range Kinds {
		defs = append(defs, kv{string(k), structSchema(reflect.TypeOf(newEntity(k)).Elem(), kindDocs[k])})
	}
	seen := map[reflect.Type]bool{}
	for _, ty := range types {
		if !seen[ty] {
			seen[ty] = true
			defs = append(defs, kv{defName(ty), structSchema(ty, "")})
		}
	}
	var types2 []any
	var branches []any
	for _, k := range Kinds {
		for _, a := range []string{ActionCreated, ActionUpdated, ActionVoided, ActionDeleted} {
			if AllowedAction(k, a) {
				types2 = append(types2, string(k)+"."+a)
			}
		}
		branches = append(branches, obj{
			{"if", obj{{"type", "object"}, {"properties", obj{{"type", obj{{"type", "string"}, {"pattern", "^" + string(k) + `\.`}}}}}}},
			{"then", obj{{"type", "object"}, {"properties", obj{{"data", ref(string(k))}}}}},
		})
	}
	branches = append(branches, obj{
		{"if", obj{{"type", "object"}, {"properties", obj{{"type", obj{{"const", "invoice.voided"}}}}}}},
		{"then", obj{{"type", "object"}, {"properties", obj{{"data", obj{{"type", "object"}, {"properties", obj{{"status", obj{{"const", InvoiceVoided}}}}}}}}}}},
	})
	schema := obj{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", "urn:qbosync:billing-webhook:v1"},
		{"title", "Billing webhook event, v1"},
		{"description", "One event POSTed to /v1/webhooks/{tenant}. Generated from internal/billing; docs/webhooks.md explains every rule. " +
			"Every format is also written as a pattern, so a validator that treats format as an annotation gives the same verdict. " +
			"Beyond this schema the service also checks the arithmetic and cross-field rules of docs/webhooks.md, and rejects duplicate object keys and integers written with a fraction or exponent (1999.0, 2e3)."},
		{"type", "object"},
		{"additionalProperties", false},
		{"required", []string{"id", "type", "occurred_at", "data"}},
		{"properties", obj{
			{"id", obj{{"type", "string"}, {"pattern", "^[\\x21-\\x7e]{1,128}$"}, {"description", "Unique per event; the deduplication key. 1–128 visible ASCII characters."}}},
			{"type", obj{{"enum", types2}}},
			{"occurred_at", obj{{"type", "string"}, {"maxLength", 64}, {"format", "date-time"}, {"pattern", instantGrammar},
				{"description", "RFC 3339 date-time with a zone; T and Z in either case, a fraction after a full stop, no leap second."}}},
			{"data", obj{{"type", "object"}, {"description", "The whole entity as it now is; its schema depends on the kind in type."}}},
		}},
		{"allOf", branches},
		{"$defs", defs},
	}
	b, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func structSchema(t reflect.Type, doc string) obj {
	var props obj
	var required []string
	for i := range t.NumField() {
		sf := t.Field(i)
		f := fieldOf(sf)
		s := fieldSchema(sf.Type, f, t)
		if f.required {
			required = append(required, f.name)
		} else {
			alts := []any{s, obj{{"type", "null"}}}
			if f.format != "" || f.enum != nil {
				// An empty optional value means "none", like null.
				alts = append(alts, obj{{"const", ""}})
			}
			s = obj{{"anyOf", alts}}
		}
		props = append(props, kv{f.name, s})
	}
	o := obj{{"type", "object"}}
	if doc != "" {
		o = append(o, kv{"description", doc})
	}
	return append(o, kv{"additionalProperties", false}, kv{"required", required}, kv{"properties", props})
}

func fieldSchema(ft reflect.Type, f field, parent reflect.Type) obj {
	switch {
	case ft == reflect.TypeFor[Date]():
		return ref("date")
	case ft == reflect.TypeFor[Quantity]():
		return ref("quantity")
	case ft == reflect.TypeFor[ExchangeRate]():
		return ref("exchange_rate")
	case f.name == "version":
		return obj{{"type", "integer"}, {"minimum", 1}, {"maximum", MaxVersion}, {"description", "Grows with every change of the entity; the highest wins."}}
	case f.amount == "positive":
		return ref("positive_amount")
	case f.amount == "nonnegative":
		return ref("nonnegative_amount")
	case f.amount != "":
		return ref("amount")
	case f.format == "id":
		return ref("entity_id")
	case f.format == "currency":
		return ref("currency")
	case f.enum != nil:
		return obj{{"enum", f.enum}}
	}
	switch ft.Kind() {
	case reflect.Bool:
		return obj{{"type", "boolean"}}
	case reflect.Pointer:
		return ref(defName(ft.Elem()))
	case reflect.Slice:
		s := obj{{"type", "array"}}
		if (parent == reflect.TypeFor[Invoice]() || parent == reflect.TypeFor[Sale]()) && f.name == "lines" {
			s = append(s, kv{"minItems", 1})
		}
		return append(s, kv{"maxItems", f.limit}, kv{"items", ref(defName(ft.Elem()))})
	}
	s := obj{{"type", "string"}}
	if f.required {
		s = append(s, kv{"minLength", 1})
	}
	s = append(s, kv{"maxLength", f.limit})
	switch {
	case f.format == "email":
		s = append(s, kv{"pattern", emailGrammar}, kv{"description", "One @ with text before it and a domain after it that holds a dot, not first or last; no character up to and including space, no control character."})
	case f.format == "country":
		s = append(s, kv{"pattern", "^[A-Z]{2}$"}, kv{"description", "ISO 3166-1 alpha-2"})
	case f.required:
		s = append(s, kv{"pattern", requiredTextGrammar})
	default:
		s = append(s, kv{"pattern", textGrammar})
	}
	if f.name == "number" {
		s = append(s, kv{"description", "QuickBooks keeps at most 21 characters in DocNumber."})
	}
	return s
}
