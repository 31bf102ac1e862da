package apijson

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/auth"
)

type tenantBody struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func post(contentType, body string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{Body: body, Headers: map[string]string{}}
	if contentType != "" {
		req.Headers["content-type"] = contentType
	}
	return req
}

func TestDecodeReadsOneStrictObject(t *testing.T) {
	var v tenantBody
	if err := Decode(post("application/json; charset=utf-8", `{"id":"acme","name":"Acme"}`), 100, &v); err != nil {
		t.Fatalf("a valid body is refused: %v", err)
	}
	if v != (tenantBody{ID: "acme", Name: "Acme"}) {
		t.Errorf("decoded %+v", v)
	}
	enc := post("", base64.StdEncoding.EncodeToString([]byte(`{"id":"b64"}`)))
	enc.IsBase64Encoded = true
	v = tenantBody{}
	if err := Decode(enc, 100, &v); err != nil || v.ID != "b64" {
		t.Errorf("a base64 body from API Gateway: %+v, %v", v, err)
	}
}

func TestDecodeRefusesNamingTheProblem(t *testing.T) {
	badB64 := post("application/json", "not base64!")
	badB64.IsBase64Encoded = true
	bigB64 := post("application/json", base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", 200))))
	bigB64.IsBase64Encoded = true
	for _, c := range []struct {
		name     string
		req      events.APIGatewayV2HTTPRequest
		status   int
		code     string
		mentions string
	}{
		{"text/plain", post("text/plain", `{"id":"a"}`), 415, "unsupported_media_type", "application/json"},
		{"a malformed content type", post("application/json; =", `{"id":"a"}`), 415, "unsupported_media_type", "application/json"},
		{"over the limit", post("application/json", `{"name":"`+strings.Repeat("x", 100)+`"}`), 413, "body_too_large", "100 bytes"},
		{"base64 over the limit", bigB64, 413, "body_too_large", "100 bytes"},
		{"invalid base64", badB64, 400, "invalid_request", "base64"},
		{"empty", post("application/json", "  \n"), 400, "invalid_request", "JSON object body is required"},
		{"an unknown field", post("", `{"id":"a","plan":"gold"}`), 400, "invalid_request", `"plan"`},
		{"a wrong type", post("", `{"id":7}`), 400, "invalid_request", `field "id" must be string`},
		{"a syntax error", post("", `{"id":"a",}`), 400, "invalid_request", "syntax error at byte"},
		{"two values", post("", `{"id":"a"}{"id":"b"}`), 400, "invalid_request", "more than one JSON value"},
		{"an array", post("", `[1]`), 400, "invalid_request", "not the expected JSON object"},
	} {
		var v tenantBody
		err := Decode(c.req, 100, &v)
		if err == nil {
			t.Errorf("%s: accepted as %+v", c.name, v)
			continue
		}
		if err.Status != c.status || err.Code != c.code || !strings.Contains(err.Message, c.mentions) {
			t.Errorf("%s: %d %s %q, want %d %s mentioning %q", c.name, err.Status, err.Code, err.Message, c.status, c.code, c.mentions)
		}
	}
}

func TestDecodeErrorsDoNotEchoTheInput(t *testing.T) {
	var v tenantBody
	err := Decode(post("", `{"id":"a","whsec_supersecretvalue":1}`+strings.Repeat(" ", 10)), 1000, &v)
	if err == nil {
		t.Fatal("an unknown field was accepted")
	}
	if len(err.Message) > 200 {
		t.Errorf("message of %d characters, want a short one: %q", len(err.Message), err.Message)
	}
	err = Decode(post("", `{"id": whsec_supersecretvalue}`), 1000, &v)
	if err == nil || strings.Contains(err.Message, "supersecret") {
		t.Errorf("a syntax error's message repeats the input: %v", err)
	}
}

func body(t *testing.T, r events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

func TestFailAnswersEachErrorWithTheOneErrorBody(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"a refused request", Errorf(409, "tenant_exists", "tenant %s already exists", "acme"), 409, "tenant_exists"},
		{"a wrapped refusal", fmt.Errorf("create: %w", Bad("id must be set")), 400, "invalid_request"},
		{"no token", fmt.Errorf("verify: %w", auth.ErrUnauthorized), 401, "unauthorized"},
		{"another role's token", auth.ErrForbidden, 403, "forbidden"},
		{"a failure inside", errors.New("dynamodb: table qbosync-prod throttled, key TENANT#acme"), 500, "internal"},
	} {
		r := Fail(c.err)
		b := body(t, r)
		if r.StatusCode != c.status || b["error"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, r.StatusCode, b["error"], c.status, c.code)
		}
		if msg, _ := b["message"].(string); msg == "" {
			t.Errorf("%s: no message in %s", c.name, r.Body)
		}
		if _, ok := b["problems"]; ok {
			t.Errorf("%s: problems in %s, want them only for invalid fields", c.name, r.Body)
		}
		if r.Headers["Content-Type"] != "application/json" || r.Headers["Cache-Control"] != "no-store" ||
			r.Headers["X-Content-Type-Options"] != "nosniff" {
			t.Errorf("%s: headers %v", c.name, r.Headers)
		}
	}
	r := Fail(errors.New("dynamodb: table qbosync-prod throttled, key TENANT#acme"))
	if strings.Contains(r.Body, "dynamodb") || strings.Contains(r.Body, "acme") {
		t.Errorf("a 500 reveals the error: %s", r.Body)
	}
	if got := Fail(auth.ErrUnauthorized).Headers["WWW-Authenticate"]; got != `Bearer realm="qbosync"` {
		t.Errorf("401 WWW-Authenticate = %q", got)
	}
}

func TestInvalidNamesEveryField(t *testing.T) {
	r := Fail(Invalid(Problem{Field: "status", Message: "status must be one of synced, warning"},
		Problem{Field: "since", Message: "since must be a date"}))
	want := `{"error":"invalid_request","message":"status must be one of synced, warning",` +
		`"problems":[{"field":"status","message":"status must be one of synced, warning"},{"field":"since","message":"since must be a date"}]}`
	if r.StatusCode != 400 || r.Body != want {
		t.Errorf("got %d %s\nwant 400 %s", r.StatusCode, r.Body, want)
	}
}
