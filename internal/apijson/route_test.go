package apijson

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func event(method, path string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RawPath: path}
	ev.RequestContext.HTTP.Method = method
	return ev
}

func testRouter() *Router {
	rt := NewRouter("no such route")
	rt.Handle("GET /things/{id}", func(r *http.Request, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		return Respond(http.StatusOK, map[string]string{"id": r.PathValue("id"), "body": ev.Body})
	})
	rt.Handle("DELETE /things/{id}", func(r *http.Request, _ events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent}
	})
	return rt
}

func TestRouterMatchesMethodAndPath(t *testing.T) {
	rt := testRouter()
	r := rt.Route(context.Background(), event("GET", "/things/t%2D1"))
	if b := body(t, r); r.StatusCode != 200 || b["id"] != "t-1" {
		t.Errorf("GET /things/t%%2D1: %d %s, want 200 with id t-1", r.StatusCode, r.Body)
	}
	ev := event("GET", "/things/x")
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte("raw")), true
	if b := body(t, rt.Route(context.Background(), ev)); b["body"] != ev.Body {
		t.Errorf("the handler's event body = %v, want the event as API Gateway sent it", b["body"])
	}
	if r := rt.Route(context.Background(), event("DELETE", "/things/x")); r.StatusCode != 204 {
		t.Errorf("DELETE /things/x: %d", r.StatusCode)
	}
}

func TestRouterAnswersUnknownRoutesWithTheErrorBody(t *testing.T) {
	rt := testRouter()
	for _, c := range []struct{ method, path string }{
		{"POST", "/things/x"},  // a path whose methods do not include POST: not the mux's 405
		{"GET", "/things"},     // no id
		{"GET", "/things/x/y"}, // deeper than any route
		{"GET", "/elsewhere"},  // no such path
		{"HEAD", "/things/x"},  // GET patterns match HEAD; the API has no HEAD route
		{"GET", "/things/x/"},  // a trailing slash is another path
		{"PATCH", "/things/x"}, // neither
	} {
		r := rt.Route(context.Background(), event(c.method, c.path))
		b := body(t, r)
		if r.StatusCode != 404 || b["error"] != "not_found" || b["message"] != "no such route" ||
			r.Headers["Content-Type"] != "application/json" {
			t.Errorf("%s %s: %d %v %s, want a JSON 404 not_found", c.method, c.path, r.StatusCode, r.Headers, r.Body)
		}
	}
}

func TestRequestCarriesWhatAPIGatewaySent(t *testing.T) {
	ev := event("POST", "/a/b")
	ev.RawQueryString = "x=1&y=%20"
	ev.Headers = map[string]string{"content-type": "application/json", "authorization": "Bearer t"}
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(`{"k":1}`)), true
	r, err := Request(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r.Body)
	if r.Method != "POST" || r.URL.Path != "/a/b" || r.URL.Query().Get("y") != " " ||
		r.Header.Get("Authorization") != "Bearer t" || string(got) != `{"k":1}` || r.ContentLength != 7 {
		t.Errorf("request %s %s ?%s %v body %q length %d", r.Method, r.URL.Path, r.URL.RawQuery, r.Header, got, r.ContentLength)
	}
	ev.Body = "%%%"
	if _, err := Request(context.Background(), ev); err != ErrBase64 {
		t.Errorf("invalid base64: %v, want ErrBase64", err)
	}
}

func TestRecorderAnswersWhatWasWritten(t *testing.T) {
	rec := NewRecorder()
	WriteError(rec, &Error{Status: http.StatusConflict, Code: "conflict", Message: "try again"})
	r := rec.Response()
	if r.StatusCode != 409 || r.Body != `{"error":"conflict","message":"try again"}` ||
		r.Headers["Cache-Control"] != "no-store" || r.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("%d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	rec = NewRecorder()
	_, _ = rec.Write([]byte("x"))
	rec.WriteHeader(500) // too late: the status was sent with the first byte
	if r := rec.Response(); r.StatusCode != 200 || r.Body != "x" {
		t.Errorf("a write then a late status: %d %q, want 200 x", r.StatusCode, r.Body)
	}
}
