package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const (
	xsdNS     = "http://www.w3.org/2001/XMLSchema"
	financeNS = "http://schema.intuit.com/finance/v3"
)

// node is one XML element of a schema file, kept generic so that every
// construct the walker does not know can be reported instead of skipped.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// docs joins the element's own xs:documentation text, whitespace collapsed.
func (n *node) docs() string {
	var parts []string
	for _, c := range n.Nodes {
		if c.XMLName.Local != "annotation" {
			continue
		}
		for _, d := range c.Nodes {
			if d.XMLName.Local == "documentation" {
				parts = append(parts, d.Text)
			}
		}
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// schemaSet holds the global definitions of every file in one namespace.
type schemaSet struct {
	files    []string
	complex  map[string]*node
	groups   map[string]*node
	simple   map[string]bool
	elements map[string]*node
	members  map[string][]string // substitution group head → member elements
}

// loadSchemas reads every *.xsd in dir whose target namespace is Intuit's
// finance namespace; other files (the entitlements response) describe
// payloads outside the Accounting API.
func loadSchemas(dir string) (*schemaSet, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.xsd"))
	if err != nil {
		return nil, fmt.Errorf("list schemas: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.xsd files in %s", dir)
	}
	slices.Sort(paths)
	s := &schemaSet{
		complex:  map[string]*node{},
		groups:   map[string]*node{},
		simple:   map[string]bool{},
		elements: map[string]*node{},
		members:  map[string][]string{},
	}
	for _, p := range paths {
		if err := s.add(p); err != nil {
			return nil, err
		}
	}
	for _, m := range s.members {
		slices.Sort(m)
	}
	return s, nil
}

func (s *schemaSet) add(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	var root node
	if err := xml.Unmarshal(raw, &root); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Base(path), err)
	}
	if root.XMLName.Space != xsdNS || root.XMLName.Local != "schema" || root.attr("targetNamespace") != financeNS {
		return nil
	}
	s.files = append(s.files, filepath.Base(path))
	for i := range root.Nodes {
		n := &root.Nodes[i]
		name := n.attr("name")
		var table map[string]*node
		switch n.XMLName.Local {
		case "complexType":
			table = s.complex
		case "group":
			table = s.groups
		case "element":
			table = s.elements
			if head := n.attr("substitutionGroup"); head != "" {
				s.members[head] = append(s.members[head], name)
			}
		case "simpleType":
			s.simple[name] = true
			continue
		case "include", "annotation", "import":
			continue
		default:
			return fmt.Errorf("%s: unsupported top-level xs:%s", filepath.Base(path), n.XMLName.Local)
		}
		if _, dup := table[name]; dup {
			return fmt.Errorf("%s: xs:%s %q defined twice", filepath.Base(path), n.XMLName.Local, name)
		}
		table[name] = n
	}
	return nil
}
