package qbo

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// xsdDir holds Intuit's schema, newest generation (see SOURCE.txt there).
const xsdDir = "testdata/xsd"

type xsdFile struct {
	ComplexTypes []xsdComplexType `xml:"complexType"`
	Elements     []xsdAttr        `xml:"element"`
}

type xsdComplexType struct {
	Name           string        `xml:"name,attr"`
	Sequence       []xsdGroup    `xml:"sequence"`
	Choice         []xsdGroup    `xml:"choice"`
	All            []xsdGroup    `xml:"all"`
	Attributes     []xsdAttr     `xml:"attribute"`
	ComplexContent *xsdExtension `xml:"complexContent>extension"`
	SimpleContent  *xsdExtension `xml:"simpleContent>extension"`
}

type xsdExtension struct {
	Base       string     `xml:"base,attr"`
	Sequence   []xsdGroup `xml:"sequence"`
	Choice     []xsdGroup `xml:"choice"`
	Attributes []xsdAttr  `xml:"attribute"`
}

// xsdGroup is a sequence, choice or all; groups nest.
type xsdGroup struct {
	Elements []xsdAttr  `xml:"element"`
	Sequence []xsdGroup `xml:"sequence"`
	Choice   []xsdGroup `xml:"choice"`
}

type xsdAttr struct {
	Name              string `xml:"name,attr"`
	Type              string `xml:"type,attr"`
	Ref               string `xml:"ref,attr"`
	SubstitutionGroup string `xml:"substitutionGroup,attr"`
}

// xsdType is a complex type flattened: its own members (JSON names:
// elements, attributes and "value" for simple content) and its base.
type xsdType struct {
	base    string
	members map[string]string // JSON name → XSD type
}

// schema holds the flattened complex types and the top-level elements
// (entities are elements of the IntuitObject substitution group).
type schema struct {
	types    map[string]*xsdType
	elements map[string]xsdAttr
}

func loadSchema(t *testing.T) schema {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(xsdDir, "*.xsd"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no XSD files in %s: %v", xsdDir, err)
	}
	s := schema{types: map[string]*xsdType{}, elements: map[string]xsdAttr{}}
	var cts []xsdComplexType
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var x xsdFile
		if err := xml.Unmarshal(b, &x); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cts = append(cts, x.ComplexTypes...)
		for _, e := range x.Elements {
			s.elements[e.Name] = e
		}
	}
	for _, ct := range cts {
		s.types[ct.Name] = s.flatten(ct)
	}
	return s
}

func (s schema) flatten(ct xsdComplexType) *xsdType {
	xt := &xsdType{members: map[string]string{}}
	add := func(groups ...[]xsdGroup) {
		for _, g := range groups {
			for _, grp := range g {
				s.addGroup(xt.members, grp)
			}
		}
	}
	add(ct.Sequence, ct.Choice, ct.All)
	addAttrs(xt.members, ct.Attributes)
	if ext := ct.ComplexContent; ext != nil {
		xt.base = ext.Base
		add(ext.Sequence, ext.Choice)
		addAttrs(xt.members, ext.Attributes)
	}
	if ext := ct.SimpleContent; ext != nil {
		xt.members["value"] = ext.Base
		addAttrs(xt.members, ext.Attributes)
	}
	return xt
}

func (s schema) addGroup(m map[string]string, g xsdGroup) {
	for _, e := range g.Elements {
		switch {
		case e.Name != "":
			m[e.Name] = e.Type
		case e.Ref != "":
			// A reference admits the element and every member of its
			// substitution group.
			for name, global := range s.elements {
				if name == e.Ref || global.SubstitutionGroup == e.Ref {
					m[name] = global.Type
				}
			}
		}
	}
	for _, sub := range append(g.Sequence, g.Choice...) {
		s.addGroup(m, sub)
	}
}

func addAttrs(m map[string]string, attrs []xsdAttr) {
	for _, a := range attrs {
		m[a.Name] = a.Type
	}
}

// member finds a JSON member of typ or of its bases.
func (s schema) member(typ, name string) (string, bool) {
	for xt := s.types[typ]; xt != nil; xt = s.types[xt.base] {
		if t, ok := xt.members[name]; ok {
			return t, true
		}
	}
	return "", false
}

// check walks a marshaled value and reports every member the XSD type
// does not define, and objects where the schema has a simple value.
func (s schema) check(path, typ string, v any) []string {
	switch v := v.(type) {
	case map[string]any:
		if s.types[typ] == nil {
			return []string{path + ": object, but XSD type " + typ + " is not complex"}
		}
		var bad []string
		for _, k := range sortedKeys(v) {
			t, ok := s.member(typ, k)
			if !ok {
				bad = append(bad, path+"."+k+": not in XSD type "+typ)
				continue
			}
			bad = append(bad, s.check(path+"."+k, t, v[k])...)
		}
		return bad
	case []any:
		var bad []string
		for _, item := range v {
			bad = append(bad, s.check(path+"[]", typ, item)...)
		}
		return bad
	default:
		// Intuit's JSON writes even simple-content types as objects
		// ({"value": ...}), so any complex type needs an object.
		if s.types[typ] != nil {
			return []string{path + ": scalar, but XSD type " + typ + " is complex"}
		}
		return nil
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fill sets every exported field of v, recursively, to a non-zero value
// so that marshaling emits every property the type can send.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.String:
		v.SetString("1")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int:
		v.SetInt(1)
	}
}

var allEntities = []Entity{
	Customer{}, Item{}, Account{}, PaymentMethod{}, TaxCode{},
	Invoice{}, CreditMemo{}, RefundReceipt{}, SalesReceipt{}, Payment{}, JournalEntry{},
	CompanyInfo{}, Preferences{},
}

func TestEntitiesMarshalOnlySchemaNames(t *testing.T) {
	s := loadSchema(t)
	for _, e := range allEntities {
		name := e.EntityName()
		t.Run(name, func(t *testing.T) {
			if s.types[name] == nil {
				t.Fatalf("no XSD complex type %s", name)
			}
			v := reflect.New(reflect.TypeOf(e))
			fill(v.Elem())
			b, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if n := countFields(reflect.TypeOf(e)); len(doc) != n {
				t.Errorf("marshaled %d members of %d fields: %s", len(doc), n, b)
			}
			for _, p := range s.check(name, name, doc) {
				t.Error(p)
			}
		})
	}
}

func countFields(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			n++
		}
	}
	return n
}

// TestSchemaCheckRejects proves the walk above can fail.
func TestSchemaCheckRejects(t *testing.T) {
	s := loadSchema(t)
	tests := []struct {
		typ  string
		doc  string
		want string
	}{
		{"Customer", `{"DisplayName":"a","Email":"x"}`, "Customer.Email: not in XSD type Customer"},
		{"Invoice", `{"Line":[{"Amount":1,"Qty":2}]}`, "Invoice.Line[].Qty: not in XSD type Line"},
		{"Invoice", `{"CustomerMemo":"hi"}`, "Invoice.CustomerMemo: scalar, but XSD type MemoRef is complex"},
		{"Payment", `{"CustomerRef":{"value":"1","id":"2"}}`, "Payment.CustomerRef.id: not in XSD type ReferenceType"},
		{"Preferences", `{"CurrencyPrefs":{"HomeCurrency":{"value":"USD"},"Enabled":true}}`,
			"Preferences.CurrencyPrefs.Enabled: not in XSD type CurrencyPrefs"},
		{"IntuitBatchRequest", `{"BatchItemRequest":[{"bId":"1","operation":"create","Invoice":{"Foo":1}}]}`,
			"IntuitBatchRequest.BatchItemRequest[].Invoice.Foo: not in XSD type Invoice"},
		{"IntuitBatchRequest", `{"BatchItemRequest":[{"bId":"1","Invoices":{}}]}`,
			"IntuitBatchRequest.BatchItemRequest[].Invoices: not in XSD type BatchItemRequest"},
	}
	for _, tt := range tests {
		var doc map[string]any
		if err := json.Unmarshal([]byte(tt.doc), &doc); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(s.check(tt.typ, tt.typ, doc), "\n")
		if got != tt.want {
			t.Errorf("check(%s, %s) = %q, want %q", tt.typ, tt.doc, got, tt.want)
		}
	}
}

// TestGoldenBodiesMatchSchema checks the recorded request bodies too,
// including the void, delete and batch envelopes built by hand.
func TestGoldenBodiesMatchSchema(t *testing.T) {
	s := loadSchema(t)
	types := map[string]string{
		"create_invoice.json": "Invoice", "update_invoice.json": "Invoice", "void_invoice.json": "Invoice",
		"delete_invoice.json": "Invoice", "create_customer.json": "Customer", "create_subcustomer.json": "Customer",
		"sparse_customer.json": "Customer", "create_item.json": "Item", "create_payment.json": "Payment",
		"create_credit_application.json": "Payment", "void_payment.json": "Payment",
		"create_creditmemo.json": "CreditMemo", "void_creditmemo.json": "CreditMemo",
		"create_journalentry.json": "JournalEntry", "create_refundreceipt.json": "RefundReceipt",
		"batch.json": "IntuitBatchRequest",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(types) {
		t.Errorf("%d golden files, %d typed here", len(files), len(types))
	}
	for _, f := range files {
		typ, ok := types[filepath.Base(f)]
		if !ok {
			t.Errorf("%s: no XSD type given", f)
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(fixture(t, filepath.Join("golden", filepath.Base(f))), &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range s.check(filepath.Base(f), typ, doc) {
			t.Error(p)
		}
	}
}
