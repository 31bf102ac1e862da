package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles the published schema with santhosh-tekuri's
// validator, format assertion on: the strictest reading a validator can
// give it.
func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.AssertContent()
	if err := c.AddResource("billing-webhook.v1.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("billing-webhook.v1.schema.json")
	if err != nil {
		t.Fatalf("santhosh-tekuri/jsonschema: %v", err)
	}
	return sch
}

func TestSchemaCompiles(t *testing.T) {
	compileSchema(t)
	t.Logf("santhosh-tekuri/jsonschema (2020-12, format assertion): %s: 0 errors", schemaPath)
}

// schemaAccepts reports the schema's verdict on one body.
func schemaAccepts(t testing.TB, sch *jsonschema.Schema, body []byte) bool {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return sch.Validate(inst) == nil
}

// beyondSchema reads the problem texts that docs/webhooks.md lists under
// "What the schema cannot say".
func beyondSchema(t testing.TB) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## What the schema cannot say\n")
	if !ok {
		t.Fatal(`docs/webhooks.md has no section "What the schema cannot say"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rules []string
	for _, m := range regexp.MustCompile("(?m)^- `([^`]+)`").FindAllStringSubmatch(section, -1) {
		rules = append(rules, m[1])
	}
	if len(rules) == 0 {
		t.Fatal("docs/webhooks.md lists no rule beyond the schema")
	}
	return rules
}

// explained returns the documented rule behind every problem of err, or
// false when some problem is not one of them.
func explained(err error, rules []string) ([]string, bool) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	var why []string
	for _, p := range ve.Problems {
		rule := ""
		for _, r := range rules {
			if strings.Contains(p.Problem, r) {
				rule = r
				break
			}
		}
		if rule == "" {
			return nil, false
		}
		why = append(why, rule)
	}
	return why, true
}

// ajvVerdicts validates bodies with ajv in strict mode (infra/local's
// pinned ajv and ajv-formats); nil when they are not installed and the
// run is not CI's.
func ajvVerdicts(t *testing.T, bodies [][]byte) []bool {
	t.Helper()
	const dir = "../../infra/local"
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ajv-formats")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ajv is not installed in %s (bash infra/local/stack.sh install)", dir)
		}
		t.Logf("ajv not installed in %s: run bash infra/local/stack.sh install to compare with it", dir)
		return nil
	}
	events := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(events, append(append([]byte("["), bytes.Join(bodies, []byte(","))...), ']'), 0o644); err != nil {
		t.Fatal(err)
	}
	schema, err := filepath.Abs(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "validate-events.mjs", schema, events)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ajv: %v\n%s", err, stderr.String())
	}
	t.Log(strings.TrimSpace(stderr.String()))
	var verdicts []bool
	if err := json.Unmarshal(out, &verdicts); err != nil || len(verdicts) != len(bodies) {
		t.Fatalf("ajv answered %d verdicts for %d events (%v)", len(verdicts), len(bodies), err)
	}
	return verdicts
}

// TestSchemaAgreesWithValidator is the differential test: generated valid
// events and mutations of every sample are judged by the schema
// (santhosh-tekuri, format assertion on), by ajv in strict mode and by
// the webhook's own validator. The two schema validators must agree on
// every case; the webhook may refuse more only for a rule docs/webhooks.md
// lists as beyond the schema.
func TestSchemaAgreesWithValidator(t *testing.T) {
	sch := compileSchema(t)
	rules := beyondSchema(t)
	cases := differentialCases(t)
	bodies := make([][]byte, len(cases))
	for i, c := range cases {
		bodies[i] = c.body
	}
	ajv := ajvVerdicts(t, bodies)

	var bothValid, bothInvalid, onlyService, ajvAgrees, failures int
	byRule := map[string]int{}
	for i, c := range cases {
		_, err := ParseEvent(c.body)
		service, schema := err == nil, schemaAccepts(t, sch, c.body)
		if ajv != nil {
			if ajv[i] == schema {
				ajvAgrees++
			} else if failures++; failures <= 20 {
				t.Errorf("%s: ajv says valid=%v, santhosh valid=%v\n%s", c.name, ajv[i], schema, c.body)
			}
		}
		switch {
		case service && schema:
			bothValid++
		case !service && !schema:
			bothInvalid++
		case schema:
			why, ok := explained(err, rules)
			if !ok {
				if failures++; failures <= 20 {
					t.Errorf("%s: the schema accepts, the service refuses for a rule not listed in docs/webhooks.md: %v\n%s", c.name, err, c.body)
				}
				continue
			}
			onlyService++
			for _, r := range why {
				byRule[r]++
			}
		default:
			if failures++; failures <= 20 {
				t.Errorf("%s: the service accepts, the schema refuses\n%s", c.name, c.body)
			}
		}
		if c.valid && !service {
			if failures++; failures <= 20 {
				t.Errorf("%s: a generated valid event is refused: %v", c.name, err)
			}
		}
	}
	var lines []string
	for r, n := range byRule {
		lines = append(lines, fmt.Sprintf("  %6d problems: %s", n, r))
	}
	sort.Strings(lines)
	ajvLine := "ajv not run"
	if ajv != nil {
		ajvLine = fmt.Sprintf("ajv (strict) agrees with santhosh on %d", ajvAgrees)
	}
	fmt.Printf("differential: %d events (%d generated valid): %d valid to both, %d invalid to both, "+
		"%d refused only by the service for a rule beyond the schema, %d failures; %s\n%s\n",
		len(cases), countValid(cases), bothValid, bothInvalid, onlyService, failures, ajvLine, strings.Join(lines, "\n"))
}
