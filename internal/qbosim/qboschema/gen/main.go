// Command gen writes the qboschema property table from Intuit's XSD.
//
//	go run ./gen -xsd DIR -out zz_generated.go
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("xsd", "../../qbo/testdata/xsd", "directory of Intuit's XSD files")
	out := fs.String("out", "zz_generated.go", "Go file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src, err := generate(*dir)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// table is everything the generated file holds.
type table struct {
	Files    []string
	Types    []*typeInfo
	Entities [][2]string // element name, type name
}

// generate reads the schemas in dir and returns the formatted Go source.
func generate(dir string) ([]byte, error) {
	s, err := loadSchemas(dir)
	if err != nil {
		return nil, err
	}
	t, err := build(s)
	if err != nil {
		return nil, err
	}
	return render(t)
}

// entityHead is the abstract element every top-level Intuit entity
// substitutes for.
const entityHead = "IntuitObject"

// jsonOnly are keys Intuit's JSON accepts on every entity body.
var jsonOnly = []prop{{Name: "domain", Type: "xs:string"}, {Name: "sparse", Type: "xs:boolean"}}

func build(s *schemaSet) (*table, error) {
	r := &resolver{s: s, done: map[string]*typeInfo{}}
	names := make([]string, 0, len(s.complex))
	for name := range s.complex {
		names = append(names, name)
	}
	slices.Sort(names)
	t := &table{Files: s.files}
	for _, name := range names {
		ti, err := r.resolve(name)
		if err != nil {
			return nil, err
		}
		t.Types = append(t.Types, ti)
	}
	members := s.members[entityHead]
	if len(members) == 0 {
		return nil, fmt.Errorf("no elements substitute for %s", entityHead)
	}
	for _, el := range members {
		typ := s.elements[el].attr("type")
		ti, ok := r.done[typ]
		if !ok {
			return nil, fmt.Errorf("entity %s has non-complex type %q", el, typ)
		}
		for _, p := range jsonOnly {
			if _, found := slices.BinarySearchFunc(ti.Props, p.Name, byName); !found {
				ti.Props = append(ti.Props, p)
				slices.SortFunc(ti.Props, func(a, b prop) int { return byName(a, b.Name) })
			}
		}
		t.Entities = append(t.Entities, [2]string{el, typ})
	}
	return t, nil
}

func byName(p prop, name string) int {
	switch {
	case p.Name < name:
		return -1
	case p.Name > name:
		return 1
	}
	return 0
}
