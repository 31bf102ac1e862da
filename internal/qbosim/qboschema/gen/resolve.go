package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// prop is one JSON property of a complex type.
type prop struct {
	Name     string
	Type     string // XSD type name: a complex type, a simple type or xs:*
	Repeated bool
	ReadOnly bool
}

// typeInfo is a complex type with inherited properties flattened in.
type typeInfo struct {
	Name  string
	Props []prop // sorted by name
	Open  bool   // xs:any: any property is allowed below it
}

// resolver flattens complex types, memoising finished ones.
type resolver struct {
	s     *schemaSet
	done  map[string]*typeInfo
	stack []string
}

func (r *resolver) resolve(name string) (*typeInfo, error) {
	if t, ok := r.done[name]; ok {
		return t, nil
	}
	if slices.Contains(r.stack, name) {
		return nil, fmt.Errorf("inheritance cycle: %s", strings.Join(append(r.stack, name), " → "))
	}
	n, ok := r.s.complex[name]
	if !ok {
		return nil, fmt.Errorf("complex type %q not defined", name)
	}
	r.stack = append(r.stack, name)
	b := &builder{r: r, t: &typeInfo{Name: name}, index: map[string]int{}}
	err := b.complexBody(n)
	r.stack = r.stack[:len(r.stack)-1]
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	slices.SortFunc(b.t.Props, func(a, c prop) int { return strings.Compare(a.Name, c.Name) })
	r.done[name] = b.t
	return b.t, nil
}

// builder accumulates the properties of one complex type.
type builder struct {
	r     *resolver
	t     *typeInfo
	index map[string]int
}

func (b *builder) put(p prop) error {
	if i, ok := b.index[p.Name]; ok {
		old := &b.t.Props[i]
		if old.Type != p.Type {
			return fmt.Errorf("property %s declared as %s and %s", p.Name, old.Type, p.Type)
		}
		old.Repeated = old.Repeated || p.Repeated
		old.ReadOnly = old.ReadOnly && p.ReadOnly
		return nil
	}
	b.index[p.Name] = len(b.t.Props)
	b.t.Props = append(b.t.Props, p)
	return nil
}

// complexBody handles the children of xs:complexType or of an extension.
func (b *builder) complexBody(n *node) error {
	for i := range n.Nodes {
		c := &n.Nodes[i]
		var err error
		switch c.XMLName.Local {
		case "annotation":
		case "sequence", "choice", "all", "group":
			err = b.particle(c, false)
		case "attribute":
			err = b.attribute(c)
		case "complexContent":
			err = b.content(c, false)
		case "simpleContent":
			err = b.content(c, true)
		default:
			err = fmt.Errorf("unsupported xs:%s in a complex type", c.XMLName.Local)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// content handles complexContent and simpleContent extensions. Intuit's JSON
// writes the text of a simpleContent type as "value" beside its attributes.
func (b *builder) content(n *node, simple bool) error {
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "annotation":
			continue
		case "extension":
		default:
			return fmt.Errorf("unsupported xs:%s in content", c.XMLName.Local)
		}
		base := c.attr("base")
		if _, ok := b.r.s.complex[base]; ok {
			bt, err := b.r.resolve(base)
			if err != nil {
				return err
			}
			b.t.Open = b.t.Open || bt.Open
			for _, p := range bt.Props {
				if err := b.put(p); err != nil {
					return err
				}
			}
		} else if simple {
			if err := b.put(prop{Name: "value", Type: base}); err != nil {
				return err
			}
		} else {
			return fmt.Errorf("complexContent extends non-complex %q", base)
		}
		if err := b.complexBody(c); err != nil {
			return err
		}
	}
	return nil
}

// particle walks a sequence, choice or group reference; repeated tells
// whether an enclosing particle already repeats.
func (b *builder) particle(n *node, repeated bool) error {
	repeated = repeated || many(n.attr("maxOccurs"))
	if n.XMLName.Local == "group" {
		g, ok := b.r.s.groups[n.attr("ref")]
		if !ok {
			return fmt.Errorf("group %q not defined", n.attr("ref"))
		}
		n = g
	}
	for i := range n.Nodes {
		c := &n.Nodes[i]
		var err error
		switch c.XMLName.Local {
		case "annotation":
		case "sequence", "choice", "all", "group":
			err = b.particle(c, repeated)
		case "element":
			err = b.element(c, repeated)
		case "any":
			b.t.Open = true
		default:
			err = fmt.Errorf("unsupported xs:%s in a model group", c.XMLName.Local)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// element adds a local element, or for a reference to an abstract element
// every member of its substitution group, as Intuit's JSON names them.
func (b *builder) element(n *node, repeated bool) error {
	repeated = repeated || many(n.attr("maxOccurs"))
	if ref := n.attr("ref"); ref != "" {
		target, ok := b.r.s.elements[ref]
		if !ok {
			return fmt.Errorf("element %q not defined", ref)
		}
		names := []string{ref}
		if target.attr("abstract") == "true" {
			names = b.r.s.members[ref]
		}
		for _, name := range names {
			el := b.r.s.elements[name]
			p := prop{Name: name, Type: el.attr("type"), Repeated: repeated, ReadOnly: readOnly(el.docs())}
			if err := b.put(p); err != nil {
				return err
			}
		}
		return nil
	}
	typ := n.attr("type")
	for _, c := range n.Nodes {
		switch c.XMLName.Local {
		case "annotation":
		case "simpleType":
			typ = "xs:string"
		default:
			return fmt.Errorf("element %s: unsupported anonymous xs:%s", n.attr("name"), c.XMLName.Local)
		}
	}
	if typ == "" {
		typ = anyType // XSD's default for an element without a type
	}
	return b.put(prop{Name: n.attr("name"), Type: typ, Repeated: repeated, ReadOnly: readOnly(n.docs())})
}

func (b *builder) attribute(n *node) error {
	name := n.attr("name")
	if name == "" {
		return fmt.Errorf("attribute without a name")
	}
	ro := readOnly(n.docs()) && !inputDespiteDocs[b.t.Name+"."+name]
	return b.put(prop{Name: name, Type: n.attr("type"), ReadOnly: ro})
}

// anyType is the ur-type: any content at all.
const anyType = "xs:anyType"

func many(maxOccurs string) bool {
	return maxOccurs != "" && maxOccurs != "0" && maxOccurs != "1"
}

var (
	// qbwOnly marks properties read-only in QuickBooks Desktop alone; in QBO
	// some of them (BillPayment.TotalAmt) are required input.
	qbwOnly = regexp.MustCompile(`(?i)InputType:\s*QBW:\s*ReadOnly`)
	// readOnlyDoc is every way the schema's prose says "not writable":
	// "InputType: ReadOnly", "InputType: QBO: ReadOnly", "(ReadOnly)",
	// "Read-only field", "read only for all applications", "Cannot be
	// written to QuickBooks", "Output only". "Non QB-writable" is left out:
	// it sits under "QuickBooks Notes" about Desktop, and Payment.TotalAmt,
	// which carries it, is required input in QBO.
	readOnlyDoc = regexp.MustCompile(`(?i)read[- ]?only|cannot be written|output only`)
	// inputDespiteDocs lists properties documented as output only that
	// Intuit reads on input: "sparse": true asks for a sparse update.
	inputDespiteDocs = map[string]bool{"IntuitEntity.sparse": true}
)

func readOnly(doc string) bool {
	return readOnlyDoc.MatchString(qbwOnly.ReplaceAllString(doc, ""))
}
