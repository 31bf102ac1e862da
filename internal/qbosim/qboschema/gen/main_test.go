package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The checked-in table must be exactly what the generator makes from the
// schema, so neither can change without the other.
func TestCheckedInTableIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "zz_generated.go")
	var stderr bytes.Buffer
	if err := run([]string{"-xsd", "../../../qbo/testdata/xsd", "-out", out}, &stderr); err != nil {
		t.Fatalf("generate: %v %s", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("zz_generated.go is stale; run go generate ./internal/qbosim/qboschema (diff -want +got):\n%s",
			cmp.Diff(string(want), string(got)))
	}
}

func TestBuildFlattensTheSchema(t *testing.T) {
	s, err := loadSchemas("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.files) != 1 || s.files[0] != "mini.xsd" {
		t.Errorf("files = %v, want only the finance-namespace schema", s.files)
	}
	tab, err := build(s)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]*typeInfo{}
	for _, ti := range tab.Types {
		types[ti.Name] = ti
	}
	wantWidget := []prop{
		{Name: "Ext", Type: "Any"},
		{Name: "Id", Type: "id"},
		{Name: "MetaData", Type: "Meta", ReadOnly: true},
		{Name: "Owner", Type: "xs:string"},
		{Name: "OwnerRef", Type: "Ref"},
		{Name: "Paid", Type: "xs:decimal"},
		{Name: "Part", Type: "Ref", Repeated: true},
		{Name: "Tag", Type: "xs:string", Repeated: true},
		{Name: "Total", Type: "xs:decimal", ReadOnly: true},
		{Name: "TxnId", Type: "id"},
		{Name: "Untyped", Type: anyType},
		{Name: "domain", Type: "xs:string"},
		{Name: "kind", Type: "xs:string"},
		{Name: "sparse", Type: "xs:boolean"},
	}
	tests := []struct {
		name string
		want *typeInfo
	}{
		{"Widget", &typeInfo{Name: "Widget", Props: wantWidget}},
		{"Ref", &typeInfo{Name: "Ref", Props: []prop{{Name: "name", Type: "xs:string"}, {Name: "value", Type: "id"}}}},
		{"Any", &typeInfo{Name: "Any", Open: true}},
		{"Envelope", &typeInfo{Name: "Envelope", Props: []prop{
			{Name: "Gadget", Type: "Gadget", Repeated: true}, {Name: "Widget", Type: "Widget", Repeated: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, types[tt.name]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([][2]string{{"Gadget", "Gadget"}, {"Widget", "Widget"}}, tab.Entities); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
}

// A construct the walker does not understand must stop generation rather
// than silently drop properties.
func TestUnsupportedConstructFails(t *testing.T) {
	dir := t.TempDir()
	xsd := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://schema.intuit.com/finance/v3">
	<xs:complexType name="T"><xs:attributeGroup ref="G"/></xs:complexType></xs:schema>`
	if err := os.WriteFile(filepath.Join(dir, "x.xsd"), []byte(xsd), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := generate(dir)
	if err == nil || !strings.Contains(err.Error(), "attributeGroup") {
		t.Fatalf("err = %v, want an unsupported attributeGroup error", err)
	}
}
