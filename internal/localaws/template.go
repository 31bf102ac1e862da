package localaws

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is the part of template.yaml the local stack reads. Values that
// may be intrinsic functions (!Ref, !GetAtt, !Sub ...) are kept as Values:
// yaml.v3 would otherwise drop the tag and keep only the argument.
type Template struct {
	Parameters map[string]yaml.Node `yaml:"Parameters"`
	Mappings   map[string]yaml.Node `yaml:"Mappings"`
	Conditions map[string]yaml.Node `yaml:"Conditions"`
	Globals    struct {
		Function yaml.Node `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]Resource  `yaml:"Resources"`
	Outputs   map[string]yaml.Node `yaml:"Outputs"`

	root yaml.Node
}

// Resource is one entry of the template's Resources.
type Resource struct {
	Type       string    `yaml:"Type"`
	Condition  string    `yaml:"Condition"`
	Metadata   yaml.Node `yaml:"Metadata"`
	Properties yaml.Node `yaml:"Properties"`
}

// Value is a template value: a literal scalar or an intrinsic function.
type Value struct{ node yaml.Node }

// UnmarshalYAML keeps the node, tag included.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	v.node = *n
	return nil
}

// Literal returns a plain scalar's text. Standard tags (!!str, !!int)
// start with two exclamation marks, intrinsic functions with one.
func (v Value) Literal() (string, bool) {
	n := v.node
	if n.Kind != yaml.ScalarNode || (strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")) {
		return "", false
	}
	return n.Value, true
}

// Ref returns the target of !Ref (or the long form {Ref: X}).
func (v Value) Ref() (string, bool) {
	if v.node.Kind == yaml.ScalarNode && v.node.Tag == "!Ref" {
		return v.node.Value, true
	}
	if arg, ok := longForm(v.node, "Ref"); ok && arg.Kind == yaml.ScalarNode {
		return arg.Value, true
	}
	return "", false
}

// GetAtt returns the resource and attribute of !GetAtt Resource.Attr
// (scalar or list form, or the long form).
func (v Value) GetAtt() (resource, attr string, ok bool) {
	n := v.node
	if n.Tag != "!GetAtt" {
		arg, long := longForm(n, "Fn::GetAtt")
		if !long {
			return "", "", false
		}
		n = *arg
	}
	switch n.Kind {
	case yaml.ScalarNode:
		resource, attr, ok = strings.Cut(n.Value, ".")
		return resource, attr, ok
	case yaml.SequenceNode:
		if len(n.Content) == 2 {
			return n.Content[0].Value, n.Content[1].Value, true
		}
	}
	return "", "", false
}

// String renders the value as written, for messages.
func (v Value) String() string {
	out, err := yaml.Marshal(&v.node)
	if err != nil {
		return v.node.Value
	}
	return strings.TrimSpace(string(out))
}

// longForm returns the argument of a one-key mapping {name: arg}.
func longForm(n yaml.Node, name string) (*yaml.Node, bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 || n.Content[0].Value != name {
		return nil, false
	}
	return n.Content[1], true
}

// LoadTemplate reads and parses a SAM template.
func LoadTemplate(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTemplate parses a SAM template.
func ParseTemplate(data []byte) (*Template, error) {
	t := &Template{}
	if err := yaml.Unmarshal(data, &t.root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if err := t.root.Decode(t); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, fmt.Errorf("parse template: no Resources")
	}
	return t, nil
}

// LogicalIDs returns the logical ids of the resources of type typ, sorted.
func (t *Template) LogicalIDs(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// properties decodes the properties of resource id, which must be of type typ.
func (t *Template) properties(id, typ string, out any) error {
	r, ok := t.Resources[id]
	if !ok {
		return fmt.Errorf("template has no resource %s", id)
	}
	if r.Type != typ {
		return fmt.Errorf("resource %s is %s, want %s", id, r.Type, typ)
	}
	if err := r.Properties.Decode(out); err != nil {
		return fmt.Errorf("resource %s: %w", id, err)
	}
	return nil
}

// physicalName is what resource id is called in a stack named stack: its
// name property with ${AWS::StackName} substituted, or stack-id when the
// template leaves naming to CloudFormation.
func physicalName(id string, name Value, stack string) (string, error) {
	n := name.node
	switch {
	case n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null"):
		return stack + "-" + id, nil
	case n.Kind == yaml.ScalarNode && n.Tag == "!Sub":
		s := strings.ReplaceAll(n.Value, "${AWS::StackName}", stack)
		if strings.Contains(s, "${") {
			return "", fmt.Errorf("resource %s: name %q: only ${AWS::StackName} can be substituted locally", id, n.Value)
		}
		return s, nil
	}
	if lit, ok := name.Literal(); ok {
		return lit, nil
	}
	return "", fmt.Errorf("resource %s: name %s is neither a literal nor a !Sub", id, name)
}
