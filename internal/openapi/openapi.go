// Package openapi checks real HTTP responses against an OpenAPI 3.1
// document: that the route, the status and every header are documented
// and that the body is valid under the response's schema. With
// additionalProperties: false on every response schema (Lint checks it),
// a handler that returns an undocumented field fails the check.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// resource is the name the document is compiled under.
const resource = "openapi.json"

// Document is a loaded OpenAPI document.
type Document struct {
	root map[string]any

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
}

// Load reads an OpenAPI document written in YAML or JSON.
func Load(path string) (*Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return Parse(b)
}

// Parse reads an OpenAPI document written in YAML or JSON.
func Parse(b []byte) (*Document, error) {
	var y any
	if err := yaml.Unmarshal(b, &y); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	// Through JSON, so that the schemas are what a JSON Schema validator
	// reads (numbers, string keys).
	j, err := json.Marshal(y)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi: the document is not an object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(resource, doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &Document{root: root, compiler: c, schemas: map[string]*jsonschema.Schema{}}, nil
}

// Operation is one documented method on one path template.
type Operation struct {
	Method, Path, ID string
	Tags             []string
	op               map[string]any
}

// Operations lists the document's operations by path, then method.
func (d *Document) Operations() []Operation {
	var out []Operation
	paths, _ := d.root["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			o := Operation{Method: strings.ToUpper(m), Path: p, op: op}
			o.ID, _ = op["operationId"].(string)
			for _, t := range asList(op["tags"]) {
				if s, ok := t.(string); ok {
					o.Tags = append(o.Tags, s)
				}
			}
			out = append(out, o)
		}
	}
	return out
}

// Find returns the operation that serves method and a concrete path.
// Literal segments win over parameters, as in OpenAPI's path matching.
func (d *Document) Find(method, path string) (Operation, bool) {
	var best Operation
	bestLiterals := -1
	for _, o := range d.Operations() {
		if o.Method != strings.ToUpper(method) {
			continue
		}
		if n, ok := match(o.Path, path); ok && n > bestLiterals {
			best, bestLiterals = o, n
		}
	}
	return best, bestLiterals >= 0
}

// match reports whether path fits template, and how many literal
// segments it matched.
func match(template, path string) (int, bool) {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return 0, false
	}
	literals := 0
	for i, t := range ts {
		switch {
		case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
			if ps[i] == "" {
				return 0, false
			}
		case t == ps[i]:
			literals++
		default:
			return 0, false
		}
	}
	return literals, true
}

// generalHeaders are sent by every HTTP answer and need no documentation.
var generalHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Cache-Control": true, "Date": true,
	"Vary": true, "Connection": true, "X-Content-Type-Options": true, "Apigw-Requestid": true,
}

// Check validates one real response to method path: the operation and the
// status are documented, the response's required headers are present and
// every other header is documented, and the body is valid JSON under the
// response's schema (or absent when none is documented). Every finding is
// in the error.
func (d *Document) Check(method, path string, status int, header http.Header, body []byte) error {
	o, ok := d.Find(method, path)
	if !ok {
		return fmt.Errorf("%s %s: no such operation in the document", method, path)
	}
	responses, _ := o.op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	resp, ok := responses[code].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s (%s): status %d is not documented", method, path, o.Path, status)
	}
	pointer := "#/paths/" + escape(o.Path) + "/" + strings.ToLower(o.Method) + "/responses/" + code
	if ref, ok := resp["$ref"].(string); ok {
		pointer = ref
		if resp, ok = d.resolve(ref).(map[string]any); !ok {
			return fmt.Errorf("%s: unresolved %s", o.Path, ref)
		}
	}
	var problems []string
	documented, _ := resp["headers"].(map[string]any)
	for name, h := range documented {
		if hm, _ := h.(map[string]any); hm["required"] == true && header.Get(name) == "" {
			problems = append(problems, "header "+name+" is required but missing")
		}
	}
	for name := range header {
		if generalHeaders[http.CanonicalHeaderKey(name)] || hasKeyFold(documented, name) {
			continue
		}
		problems = append(problems, "header "+name+" is not documented")
	}
	problems = append(problems, d.checkBody(pointer, resp, header.Get("Content-Type"), body)...)
	if len(problems) > 0 {
		return fmt.Errorf("%s %s (%s) %d: %s", method, path, o.Path, status, strings.Join(problems, "; "))
	}
	return nil
}

func (d *Document) checkBody(pointer string, resp map[string]any, contentType string, body []byte) []string {
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			return []string{fmt.Sprintf("a body is sent but none is documented: %.200s", body)}
		}
		return nil
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(mediaType)
	media, ok := content[mediaType].(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("Content-Type %q is not documented", contentType)}
	}
	if _, ok := media["schema"]; !ok || mediaType != "application/json" {
		return nil
	}
	sch, err := d.schema(pointer + "/content/" + escape(mediaType) + "/schema")
	if err != nil {
		return []string{err.Error()}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{fmt.Sprintf("the body is not JSON: %v", err)}
	}
	if err := sch.Validate(inst); err != nil {
		return []string{fmt.Sprintf("the body does not match the schema: %v\nbody: %.2000s", err, body)}
	}
	return nil
}

// schema compiles the schema at pointer once.
func (d *Document) schema(pointer string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[pointer]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(resource + pointer)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", pointer, err)
	}
	d.schemas[pointer] = s
	return s, nil
}

// resolve follows a local reference "#/a/b".
func (d *Document) resolve(ref string) any {
	var v any = d.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	return v
}

// escape writes s as one JSON Pointer token.
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func hasKeyFold(m map[string]any, name string) bool {
	for k := range m {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
