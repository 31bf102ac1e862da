// Package iam reads which IAM actions a function's Policies in
// template.yaml allow (SAM policy templates expanded with SAM's own
// catalogue, inline statements as written) and compares them with the
// actions the function was seen to call.
package iam

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Catalogue maps a SAM policy template name to the actions it allows.
type Catalogue map[string][]string

// LoadCatalogue reads SAM's policy_templates.json.
func LoadCatalogue(file string) (Catalogue, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read policy templates: %w", err)
	}
	var doc struct {
		Templates map[string]struct {
			Definition struct {
				Statement []statement
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c := Catalogue{}
	for name, t := range doc.Templates {
		for _, s := range t.Definition.Statement {
			if s.Effect == "Allow" {
				c[name] = append(c[name], s.Action...)
			}
		}
	}
	return c, nil
}

// statement is an IAM policy statement; Action may be one string or a list.
type statement struct {
	Effect string
	Action actions
}

type actions []string

func (a *actions) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = actions{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

func (a *actions) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*a = actions{n.Value}
		return nil
	}
	return n.Decode((*[]string)(a))
}

// Policy is one entry of a function's Policies, decoded on demand.
type Policy interface{ Decode(out any) error }

// Granted returns the action patterns the policies allow, sorted and
// without repeats. Managed policies (a name or ARN) cannot be expanded
// here and are an error.
func (c Catalogue) Granted(policies []Policy) ([]string, error) {
	seen := map[string]bool{}
	for _, p := range policies {
		var m map[string]yaml.Node
		if err := p.Decode(&m); err != nil {
			return nil, fmt.Errorf("policy is neither a SAM policy template nor a Statement: %w", err)
		}
		for name, args := range m {
			var acts []string
			if name == "Statement" {
				var st []struct {
					Effect string  `yaml:"Effect"`
					Action actions `yaml:"Action"`
				}
				if err := args.Decode(&st); err != nil {
					return nil, fmt.Errorf("policy statement: %w", err)
				}
				for _, s := range st {
					if s.Effect == "Allow" {
						acts = append(acts, s.Action...)
					}
				}
			} else {
				a, ok := c[name]
				if !ok {
					return nil, fmt.Errorf("unknown SAM policy template %s", name)
				}
				acts = a
			}
			for _, a := range acts {
				seen[a] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

// Allows reports whether pattern (IAM's * and ? wildcards, any case)
// covers action.
func Allows(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}

// Report compares what one function called with what its role grants.
type Report struct {
	Function string
	Called   []string // actions seen
	Granted  []string // action patterns allowed
	Missing  []string // called, allowed by no pattern
	Unused   []string // granted patterns no call needed
}

// Compare builds the report for function.
func Compare(function string, called, granted []string) Report {
	r := Report{Function: function, Called: called, Granted: granted}
	used := map[string]bool{}
	for _, a := range called {
		ok := false
		for _, g := range granted {
			if Allows(g, a) {
				ok, used[g] = true, true
			}
		}
		if !ok {
			r.Missing = append(r.Missing, a)
		}
	}
	for _, g := range granted {
		if !used[g] {
			r.Unused = append(r.Unused, g)
		}
	}
	return r
}

// String is the report as a table: one row per action called or granted.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d called, %d granted, %d missing, %d granted but never used\n",
		r.Function, len(r.Called), len(r.Granted), len(r.Missing), len(r.Unused))
	fmt.Fprintf(&b, "  %-36s %-7s %s\n", "action", "called", "granted")
	missing := map[string]bool{}
	for _, a := range r.Missing {
		missing[a] = true
	}
	for _, a := range r.Called {
		g := "yes"
		if missing[a] {
			g = "MISSING"
		}
		fmt.Fprintf(&b, "  %-36s %-7s %s\n", a, "yes", g)
	}
	for _, a := range r.Unused {
		fmt.Fprintf(&b, "  %-36s %-7s %s\n", a, "no", "yes, never used")
	}
	return b.String()
}
