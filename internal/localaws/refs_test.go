package localaws

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// reference is a use of a name by an intrinsic function.
type reference struct {
	fn     string // Ref, GetAtt, Sub, FindInMap, If, Condition
	target string
	line   int
}

func (r reference) String() string { return fmt.Sprintf("line %d: %s %s", r.line, r.fn, r.target) }

// references lists every name used by an intrinsic function under n, in
// short (!Ref) and long ({Ref: ...}) form.
func references(n *yaml.Node) []reference {
	var out []reference
	add := func(fn, target string, at *yaml.Node) { out = append(out, reference{fn, target, at.Line}) }
	switch n.Tag {
	case "!Ref":
		add("Ref", n.Value, n)
	case "!GetAtt":
		add("GetAtt", getAttResource(n), n)
	case "!Sub":
		out = append(out, subReferences(n)...)
	case "!FindInMap":
		if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
			add("FindInMap", n.Content[0].Value, n)
		}
	case "!If":
		if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
			add("If", n.Content[0].Value, n)
		}
	case "!Condition":
		add("Condition", n.Value, n)
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		key, arg := n.Content[0].Value, n.Content[1]
		switch key {
		case "Ref":
			add("Ref", arg.Value, arg)
		case "Fn::GetAtt":
			add("GetAtt", getAttResource(arg), arg)
		case "Fn::Sub":
			out = append(out, subReferences(arg)...)
		}
	}
	for _, c := range n.Content {
		out = append(out, references(c)...)
	}
	return out
}

func getAttResource(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
		return n.Content[0].Value
	}
	resource, _, _ := strings.Cut(n.Value, ".")
	return resource
}

var subVariable = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// subReferences lists the ${Name} and ${Resource.Attr} variables of a
// !Sub string that its own variable map (list form) does not define.
func subReferences(n *yaml.Node) []reference {
	text, local := n, map[string]bool{}
	if n.Kind == yaml.SequenceNode && len(n.Content) == 2 {
		text = n.Content[0]
		for i := 0; i+1 < len(n.Content[1].Content); i += 2 {
			local[n.Content[1].Content[i].Value] = true
		}
	}
	var out []reference
	for _, m := range subVariable.FindAllStringSubmatch(text.Value, -1) {
		name := m[1]
		if local[name] {
			continue
		}
		if resource, _, ok := strings.Cut(name, "."); ok {
			out = append(out, reference{"GetAtt", resource, text.Line})
		} else {
			out = append(out, reference{"Ref", name, text.Line})
		}
	}
	return out
}

var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// undefined returns the references of t whose target t does not define.
func undefined(t *Template) []reference {
	var bad []reference
	refs := references(&t.root)
	for _, r := range t.Resources {
		if r.Condition != "" {
			refs = append(refs, reference{"Condition", r.Condition, r.Properties.Line})
		}
	}
	for _, r := range refs {
		_, isResource := t.Resources[r.target]
		_, isParameter := t.Parameters[r.target]
		_, isMapping := t.Mappings[r.target]
		_, isCondition := t.Conditions[r.target]
		ok := false
		switch r.fn {
		case "Ref":
			ok = isResource || isParameter || pseudoParameters[r.target]
		case "GetAtt":
			ok = isResource
		case "FindInMap":
			ok = isMapping
		case "If", "Condition":
			ok = isCondition
		}
		if !ok {
			bad = append(bad, r)
		}
	}
	return bad
}
