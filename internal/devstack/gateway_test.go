package devstack

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// capture is a handler that keeps the last event and context it got.
type capture struct {
	ev       events.APIGatewayV2HTTPRequest
	lc       *lambdacontext.LambdaContext
	deadline time.Time
	resp     events.APIGatewayV2HTTPResponse
}

func (c *capture) handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	c.ev = ev
	c.lc, _ = lambdacontext.FromContext(ctx)
	c.deadline, _ = ctx.Deadline()
	return c.resp, nil
}

func gateway(t *testing.T, routes ...Route) *httptest.Server {
	t.Helper()
	gw, err := NewGateway(routes, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestGatewayBuildsAPIGatewayV2Event(t *testing.T) {
	h := &capture{resp: events.APIGatewayV2HTTPResponse{StatusCode: 202}}
	srv := gateway(t, Route{Method: "POST", Path: "/v1/webhooks/{tenant}", Handler: h.handle, Function: "WebhookFunction", Timeout: 10 * time.Second})
	body := `{"id":"evt_1"}`
	req, _ := http.NewRequest("POST", srv.URL+"/v1/webhooks/acme%20co?x=1&x=2&y=z", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Billing-Signature", "t=1,v1=ab")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	req.Header.Set("Cookie", "a=1; b=2")
	req.Header.Set("User-Agent", "billing/1.0")
	before := time.Now()
	resp, _ := do(t, req)

	if resp.StatusCode != 202 {
		t.Fatalf("status %d, want 202", resp.StatusCode)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	port := host[strings.LastIndex(host, ":")+1:]
	want := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /v1/webhooks/{tenant}",
		RawPath: "/v1/webhooks/acme%20co", RawQueryString: "x=1&x=2&y=z",
		Cookies: []string{"a=1", "b=2"},
		Headers: map[string]string{
			"content-type": "application/json", "billing-signature": "t=1,v1=ab", "x-multi": "a,b",
			"user-agent": "billing/1.0", "host": host, "content-length": "14", "accept-encoding": "gzip",
			"x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "x-forwarded-port": port,
		},
		QueryStringParameters: map[string]string{"x": "1,2", "y": "z"},
		PathParameters:        map[string]string{"tenant": "acme co"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /v1/webhooks/{tenant}", AccountID: "000000000000", Stage: "$default",
			APIID: "devstack", DomainName: host, DomainPrefix: "127",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: "/v1/webhooks/acme%20co", Protocol: "HTTP/1.1",
				SourceIP: "127.0.0.1", UserAgent: "billing/1.0",
			},
		},
		Body: body,
	}
	ignore := cmp.Options{
		cmpopts.IgnoreFields(events.APIGatewayV2HTTPRequestContext{}, "RequestID", "Time", "TimeEpoch"),
		cmpopts.IgnoreMapEntries(func(k, _ string) bool { return k == "x-amzn-trace-id" }),
		cmpopts.SortSlices(func(a, b string) bool { return a < b }),
	}
	if d := cmp.Diff(want, h.ev, ignore); d != "" {
		t.Errorf("event (-want +got):\n%s", d)
	}
	rc := h.ev.RequestContext
	if rc.RequestID == "" || rc.RequestID != resp.Header.Get("Apigw-Requestid") {
		t.Errorf("requestId %q, want it set and equal to the apigw-requestid answer header %q", rc.RequestID, resp.Header.Get("Apigw-Requestid"))
	}
	at := time.UnixMilli(rc.TimeEpoch)
	if at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Errorf("timeEpoch %v is not the time of the request", at)
	}
	if ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.Time); err != nil || ts.Unix() != at.Unix() {
		t.Errorf("time %q (%v) does not match timeEpoch %v", rc.Time, err, at)
	}
	if !strings.HasPrefix(h.ev.Headers["x-amzn-trace-id"], "Root=1-") {
		t.Errorf("x-amzn-trace-id = %q", h.ev.Headers["x-amzn-trace-id"])
	}
	if h.lc == nil || h.lc.AwsRequestID == "" || !strings.HasSuffix(h.lc.InvokedFunctionArn, ":function:WebhookFunction") {
		t.Errorf("lambda context %+v, want a request id and the function's ARN", h.lc)
	}
	if left := time.Until(h.deadline); left <= 0 || left > 10*time.Second {
		t.Errorf("deadline in %v, want within the function's 10 s timeout", left)
	}
}

func TestGatewayBodyEncoding(t *testing.T) {
	tests := []struct {
		contentType string
		body        []byte
		wantBody    string
		wantBase64  bool
	}{
		{"application/json; charset=utf-8", []byte(`{"a":1}`), `{"a":1}`, false},
		{"text/plain", []byte("hi"), "hi", false},
		{"application/vnd.api+json", []byte(`{}`), `{}`, false},
		{"application/octet-stream", []byte{0, 1, 2, 255}, "AAEC/w==", true},
		{"application/x-www-form-urlencoded", []byte("a=1"), "YT0x", true},
		{"", []byte("raw"), "cmF3", true},
		{"application/json", nil, "", false},
	}
	h := &capture{resp: events.APIGatewayV2HTTPResponse{StatusCode: 200}}
	srv := gateway(t, Route{Method: "ANY", Path: "/{proxy+}", Handler: h.handle, Function: "F"})
	for _, tc := range tests {
		req, _ := http.NewRequest("POST", srv.URL+"/x", bytes.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		do(t, req)
		if h.ev.Body != tc.wantBody || h.ev.IsBase64Encoded != tc.wantBase64 {
			t.Errorf("%q: body %q base64 %v, want %q %v", tc.contentType, h.ev.Body, h.ev.IsBase64Encoded, tc.wantBody, tc.wantBase64)
		}
	}
}

func TestGatewayWritesResponse(t *testing.T) {
	h := &capture{resp: events.APIGatewayV2HTTPResponse{
		StatusCode: 201, IsBase64Encoded: true, Body: base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 'o', 'k'}),
		Headers:           map[string]string{"Content-Type": "application/octet-stream", "X-One": "1"},
		MultiValueHeaders: map[string][]string{"X-Many": {"a", "b"}},
		Cookies:           []string{"s=1; Path=/", "t=2"},
	}}
	srv := gateway(t, Route{Method: "GET", Path: "/file", Handler: h.handle, Function: "F"})
	req, _ := http.NewRequest("GET", srv.URL+"/file", nil)
	resp, body := do(t, req)
	if resp.StatusCode != 201 || !bytes.Equal(body, []byte{0xff, 0x00, 'o', 'k'}) {
		t.Errorf("got %d %q, want 201 and the decoded body", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-One"); got != "1" {
		t.Errorf("X-One = %q", got)
	}
	if got := resp.Header.Values("X-Many"); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("X-Many = %q", got)
	}
	if got := resp.Header.Values("Set-Cookie"); !cmp.Equal(got, []string{"s=1; Path=/", "t=2"}) {
		t.Errorf("Set-Cookie = %q", got)
	}
}

func TestGatewayRoutes(t *testing.T) {
	named := func(key string) Route {
		method, path, _ := strings.Cut(key, " ")
		return Route{Method: method, Path: path, Function: "F", Handler: func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: ev.RouteKey + " " + ev.PathParameters["proxy"] + ev.PathParameters["tenant"]}, nil
		}}
	}
	failing := Route{Method: "GET", Path: "/fail", Function: "F", Handler: func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, errors.New("boom")
	}}
	noStatus := Route{Method: "GET", Path: "/nostatus", Function: "F", Handler: func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{Body: "x"}, nil
	}}
	srv := gateway(t, named("POST /v1/webhooks/{tenant}"), named("GET /admin"), named("GET /admin/{proxy+}"),
		named("ANY /api/v1/{proxy+}"), named("GET /api/v1/health"), failing, noStatus)
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"POST", "/v1/webhooks/acme", 200, "POST /v1/webhooks/{tenant} acme"},
		{"GET", "/admin", 200, "GET /admin "},
		{"GET", "/admin/tenants/acme", 200, "GET /admin/{proxy+} tenants/acme"},
		{"DELETE", "/api/v1/things/1", 200, "ANY /api/v1/{proxy+} things/1"},
		{"GET", "/api/v1/health", 200, "GET /api/v1/health "},
		{"GET", "/v1/webhooks/acme", 404, `{"message":"Not Found"}`},
		{"POST", "/v1/webhooks/acme/extra", 404, `{"message":"Not Found"}`},
		{"POST", "/v1/webhooks/", 404, `{"message":"Not Found"}`},
		{"GET", "/api/v1", 404, `{"message":"Not Found"}`},
		{"GET", "/elsewhere", 404, `{"message":"Not Found"}`},
		{"GET", "/fail", 500, `{"message":"Internal Server Error"}`},
		{"GET", "/nostatus", 500, `{"message":"Internal Server Error"}`},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, body := do(t, req)
		if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != strings.TrimSpace(tc.body) {
			t.Errorf("%s %s: got %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

func TestGatewayRejectsBadRoutes(t *testing.T) {
	h := (&capture{}).handle
	tests := []struct {
		name   string
		routes []Route
	}{
		{"greedy not last", []Route{{Method: "GET", Path: "/{proxy+}/x", Handler: h}}},
		{"relative path", []Route{{Method: "GET", Path: "admin", Handler: h}}},
		{"no handler", []Route{{Method: "GET", Path: "/admin"}}},
		{"declared twice", []Route{{Method: "GET", Path: "/admin", Handler: h}, {Method: "GET", Path: "/admin", Handler: h}}},
	}
	for _, tc := range tests {
		if _, err := NewGateway(tc.routes, nil, nil); err == nil {
			t.Errorf("%s: NewGateway accepted %v", tc.name, tc.routes)
		}
	}
}
