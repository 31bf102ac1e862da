package openapi

import "fmt"

// Lint lists what keeps a client generator or a validator from trusting
// the document: an operation without a unique operationId or without
// tags, a response without a description, and a response schema object
// that does not close itself (additionalProperties) or does not say which
// properties it always has (required).
func (d *Document) Lint() []string {
	var out []string
	seen := map[string]string{}
	for _, o := range d.Operations() {
		where := o.Method + " " + o.Path
		switch prev, dup := seen[o.ID]; {
		case o.ID == "":
			out = append(out, where+": no operationId")
		case dup:
			out = append(out, where+": operationId "+o.ID+" is also "+prev+"'s")
		default:
			seen[o.ID] = where
		}
		if len(o.Tags) == 0 {
			out = append(out, where+": no tags")
		}
		responses, _ := o.op["responses"].(map[string]any)
		for _, code := range sortedKeys(responses) {
			r, _ := responses[code].(map[string]any)
			at := where + " " + code
			if ref, ok := r["$ref"].(string); ok {
				r, _ = d.resolve(ref).(map[string]any)
				at += " (" + ref + ")"
			}
			if _, ok := r["description"]; !ok {
				out = append(out, at+": no description")
			}
			content, _ := r["content"].(map[string]any)
			for mt, m := range content {
				mm, _ := m.(map[string]any)
				d.lintSchema(&out, at+" "+mt, mm["schema"], map[string]bool{})
			}
		}
	}
	return dedupe(out)
}

func (d *Document) lintSchema(out *[]string, at string, s any, seen map[string]bool) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	if ref, ok := m["$ref"].(string); ok {
		if seen[ref] {
			return
		}
		seen[ref] = true
		d.lintSchema(out, ref, d.resolve(ref), seen)
		return
	}
	_, hasProps := m["properties"]
	if m["type"] == "object" || hasProps {
		if _, ok := m["additionalProperties"]; !ok {
			*out = append(*out, at+": object schema without additionalProperties")
		}
		if _, ok := m["required"]; !ok && hasProps {
			*out = append(*out, at+": object schema without required")
		}
	}
	props, _ := m["properties"].(map[string]any)
	for _, k := range sortedKeys(props) {
		d.lintSchema(out, at+"."+k, props[k], seen)
	}
	for _, k := range []string{"items", "additionalProperties"} {
		d.lintSchema(out, at+"."+k, m[k], seen)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		for i, sub := range asList(m[k]) {
			d.lintSchema(out, fmt.Sprintf("%s.%s[%d]", at, k, i), sub, seen)
		}
	}
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
