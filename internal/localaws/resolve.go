package localaws

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Deployment is what a deployed stack would supply for the template's
// references: parameter values (a parameter left out takes its Default)
// and the physical ids of resources not provisioned locally, such as the
// KMS key.
type Deployment struct {
	Parameters map[string]string
	Physical   map[string]string
}

// ResolveEnv returns f's environment as CloudFormation would set it in a
// stack provisioned as res with d: every variable the template gives f,
// and only those. A value it cannot resolve is an error, never dropped.
func (t *Template) ResolveEnv(f Function, res Resources, d Deployment) (map[string]string, error) {
	env := map[string]string{}
	for k, v := range f.Environment {
		s, err := t.resolve(v.node, res, d)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", f.LogicalID, k, err)
		}
		env[k] = s
	}
	return env, nil
}

func (t *Template) resolve(n yaml.Node, res Resources, d Deployment) (string, error) {
	v := Value{node: n}
	if lit, ok := v.Literal(); ok {
		return lit, nil
	}
	if ref, ok := v.Ref(); ok {
		return t.ref(ref, res, d)
	}
	if n.Tag == "!FindInMap" && n.Kind == yaml.SequenceNode && len(n.Content) == 3 {
		var keys [3]string
		for i, c := range n.Content {
			k, err := t.resolve(*c, res, d)
			if err != nil {
				return "", err
			}
			keys[i] = k
		}
		var m map[string]map[string]string
		node, ok := t.Mappings[keys[0]]
		if !ok {
			return "", fmt.Errorf("no mapping %s", keys[0])
		}
		if err := node.Decode(&m); err != nil {
			return "", fmt.Errorf("mapping %s: %w", keys[0], err)
		}
		val, ok := m[keys[1]][keys[2]]
		if !ok {
			return "", fmt.Errorf("mapping %s has no %s.%s", keys[0], keys[1], keys[2])
		}
		return val, nil
	}
	return "", fmt.Errorf("cannot resolve %s locally", v)
}

func (t *Template) ref(name string, res Resources, d Deployment) (string, error) {
	if v, ok := res.Physical[name]; ok {
		return v, nil
	}
	if v, ok := d.Physical[name]; ok {
		return v, nil
	}
	if p, ok := t.Parameters[name]; ok {
		if v, ok := d.Parameters[name]; ok {
			return v, nil
		}
		var spec struct {
			Default *string `yaml:"Default"`
		}
		if err := p.Decode(&spec); err != nil || spec.Default == nil {
			return "", fmt.Errorf("parameter %s has no value and no default", name)
		}
		return *spec.Default, nil
	}
	return "", fmt.Errorf("!Ref %s names nothing deployed", name)
}

// Int resolves v, a whole number or !Ref of a parameter, as a deployment
// with d's parameters would (a parameter left out takes its Default);
// an unset v is 0.
func (t *Template) Int(v Value, d Deployment) (int, error) {
	if v.node.Kind == 0 {
		return 0, nil
	}
	s, err := t.resolve(v.node, Resources{}, d)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s is not a whole number: %w", v, err)
	}
	return n, nil
}

// Decode decodes the value's node into out.
func (v Value) Decode(out any) error { return v.node.Decode(out) }
