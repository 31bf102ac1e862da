package openapi

import (
	"net/http"
	"strings"
	"testing"
)

const small = `
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      tags: [things]
      responses:
        "200":
          description: A thing.
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                required: [id]
                properties:
                  id: {type: string}
                  at: {type: string, format: date-time}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "204": {description: Nothing.}
  /things/new:
    get:
      operationId: newThing
      tags: [things]
      responses:
        "200": {description: Empty., content: {application/json: {schema: {type: object, additionalProperties: false, required: [], properties: {}}}}}
components:
  responses:
    Unauthorized:
      description: No token.
      headers:
        WWW-Authenticate: {required: true, schema: {type: string}}
      content:
        application/json:
          schema: {type: object, additionalProperties: false, required: [error], properties: {error: {type: string}}}
`

func parse(t *testing.T, src string) *Document {
	t.Helper()
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func jsonHeader(extra ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func TestCheck(t *testing.T) {
	d := parse(t, small)
	tests := []struct {
		name   string
		method string
		path   string
		status int
		header http.Header
		body   string
		want   string // "" for no finding
	}{
		{"documented", "GET", "/things/1", 200, jsonHeader(), `{"id":"1","at":"2026-11-21T10:00:00Z"}`, ""},
		{"undocumented field", "GET", "/things/1", 200, jsonHeader(), `{"id":"1","secret":"x"}`, "does not match the schema"},
		{"missing required field", "GET", "/things/1", 200, jsonHeader(), `{}`, "does not match the schema"},
		{"wrong type", "GET", "/things/1", 200, jsonHeader(), `{"id":1}`, "does not match the schema"},
		{"bad date-time", "GET", "/things/1", 200, jsonHeader(), `{"id":"1","at":"yesterday"}`, "does not match the schema"},
		{"undocumented status", "GET", "/things/1", 404, jsonHeader(), `{"error":"x"}`, "status 404 is not documented"},
		{"undocumented header", "GET", "/things/1", 200, jsonHeader("Retry-After", "3"), `{"id":"1"}`, "header Retry-After is not documented"},
		{"required header missing", "GET", "/things/1", 401, jsonHeader(), `{"error":"unauthorized"}`, "WWW-Authenticate is required"},
		{"required header present", "GET", "/things/1", 401, jsonHeader("WWW-Authenticate", "Bearer"), `{"error":"unauthorized"}`, ""},
		{"body where none is documented", "GET", "/things/1", 204, jsonHeader(), `{"id":"1"}`, "none is documented"},
		{"no body", "GET", "/things/1", 204, http.Header{}, ``, ""},
		{"other media type", "GET", "/things/1", 200, http.Header{"Content-Type": {"text/html"}}, `<p>`, `Content-Type "text/html"`},
		{"not JSON", "GET", "/things/1", 200, jsonHeader(), `{`, "not JSON"},
		{"undocumented operation", "POST", "/things/1", 200, jsonHeader(), `{}`, "no such operation"},
		{"undocumented path", "GET", "/other", 200, jsonHeader(), `{}`, "no such operation"},
		{"literal segment wins", "GET", "/things/new", 200, jsonHeader(), `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Check(tt.method, tt.path, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("Check found nothing, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Check: %v\nwant %q", err, tt.want)
			}
		})
	}
}

func TestLint(t *testing.T) {
	if got := parse(t, small).Lint(); len(got) != 0 {
		t.Errorf("Lint of a clean document: %q", got)
	}
	loose := `
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        "200": {description: A., content: {application/json: {schema: {type: object, properties: {x: {type: object, properties: {y: {type: string}}}}}}}}
  /b:
    get:
      operationId: same
      tags: [b]
      responses: {"200": {$ref: "#/components/responses/R"}}
  /c:
    get:
      operationId: same
      tags: [c]
      responses: {"204": {description: None.}}
components:
  responses:
    R: {content: {application/json: {schema: {$ref: "#/components/schemas/S"}}}}
  schemas:
    S: {type: object, required: [], properties: {}}
`
	got := strings.Join(parse(t, loose).Lint(), "\n")
	for _, want := range []string{
		"GET /a: no operationId", "GET /a: no tags",
		"GET /a 200 application/json: object schema without additionalProperties",
		"GET /a 200 application/json: object schema without required",
		"GET /a 200 application/json.x: object schema without additionalProperties",
		"GET /c: operationId same is also GET /b's",
		"GET /b 200 (#/components/responses/R): no description",
		"#/components/schemas/S: object schema without additionalProperties",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Lint misses %q; got:\n%s", want, got)
		}
	}
}

// TestAdminDocument: the published admin API document passes Lint, so a
// generated client names every method and a validator closes every
// response.
func TestAdminDocument(t *testing.T) {
	d, err := Load("../../api/admin.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Lint() {
		t.Error(p)
	}
}
