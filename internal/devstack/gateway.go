package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Limits API Gateway HTTP APIs apply.
const (
	maxPayload         = 10 << 20
	integrationTimeout = 30 * time.Second
)

// Identity of the simulated API and account.
const (
	accountID = "000000000000"
	apiID     = "devstack"
)

// Gateway serves Lambda HTTP handlers the way an API Gateway HTTP API with
// payload format 2.0 calls them: it selects the route, builds the event,
// invokes the handler and turns its response back into HTTP.
type Gateway struct {
	routes []compiledRoute
	log    *slog.Logger
	now    func() time.Time
}

// NewGateway returns a gateway for routes. log receives one access-log line
// per request (nil discards); now stamps the events (nil: time.Now).
func NewGateway(routes []Route, log *slog.Logger, now func() time.Time) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	g := &Gateway{log: log, now: now}
	seen := map[string]bool{}
	for _, r := range routes {
		c, err := compileRoute(r)
		if err != nil {
			return nil, err
		}
		if seen[r.Key()] {
			return nil, fmt.Errorf("route %s declared twice", r.Key())
		}
		seen[r.Key()] = true
		g.routes = append(g.routes, c)
	}
	return g, nil
}

func (g *Gateway) route(method, path string) (compiledRoute, map[string]string, bool) {
	var best compiledRoute
	var bestParams map[string]string
	found := false
	for _, c := range g.routes {
		if params, ok := c.match(method, path); ok && (!found || c.better(best)) {
			best, bestParams, found = c, params, true
		}
	}
	return best, bestParams, found
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	requestID := newRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	rt, params, ok := g.route(r.Method, r.URL.EscapedPath())
	status := http.StatusNotFound
	defer func() {
		key := "-"
		if ok {
			key = rt.Key()
		}
		g.log.Info("api request", "requestId", requestID, "ip", sourceIP(r), "method", r.Method,
			"path", r.URL.Path, "routeKey", key, "status", status,
			"latencyMs", g.now().Sub(start).Milliseconds())
	}()
	if !ok {
		writeMessage(w, status, "Not Found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		status = http.StatusBadRequest
		writeMessage(w, status, "Bad Request")
		return
	}
	if len(body) > maxPayload {
		status = http.StatusRequestEntityTooLarge
		writeMessage(w, status, "Request Entity Too Large")
		return
	}
	ev := requestEvent(r, rt.Route, params, body, requestID, start)
	resp, err := g.invoke(r.Context(), rt.Route, ev)
	if err != nil {
		g.log.Error("integration failed", "requestId", requestID, "routeKey", rt.Key(), "err", err)
		status = http.StatusInternalServerError
		writeMessage(w, status, "Internal Server Error")
		return
	}
	status = writeResponse(w, resp)
}

// invoke calls the handler as Lambda would: with the event as it arrives
// after a JSON round trip, a Lambda context and the function's deadline. A
// panic or an answer after the deadline is an integration failure.
func (g *Gateway) invoke(ctx context.Context, rt Route, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
	timeout := rt.Timeout
	if timeout <= 0 || timeout > integrationTimeout {
		timeout = integrationTimeout
	}
	ev, err = viaJSON(ev)
	if err != nil {
		return resp, err
	}
	ctx, cancel := context.WithTimeout(invocationContext(ctx, rt.Function), timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	resp, err = rt.Handler(ctx, ev)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("function timed out after %s", timeout)
	}
	return resp, err
}

func requestEvent(r *http.Request, rt Route, params map[string]string, body []byte, requestID string, at time.Time) events.APIGatewayV2HTTPRequest {
	headers, cookies := eventHeaders(r, len(body))
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       rt.Key(),
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: rt.Key(), AccountID: accountID, Stage: "$default", RequestID: requestID,
			APIID: apiID, DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Time: at.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.EscapedPath(), Protocol: r.Proto,
				SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
			},
		},
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(params) > 0 {
		ev.PathParameters = params
	}
	if len(body) > 0 {
		// A JSON event carries text as a JSON string: bytes that are not
		// UTF-8 would be replaced on the way and reach the function as
		// another body, failing its signature. They travel base64-encoded.
		if textual(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// eventHeaders lower-cases header names and joins repeated values with
// commas; cookies move to their own field, as in payload format 2.0.
func eventHeaders(r *http.Request, bodyLen int) (map[string]string, []string) {
	h := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		h[k] = strings.Join(vs, ",")
	}
	h["host"] = r.Host
	if bodyLen > 0 {
		h["content-length"] = fmt.Sprint(bodyLen)
	}
	h["x-forwarded-for"] = sourceIP(r)
	h["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		h["x-forwarded-port"] = port
	}
	h["x-amzn-trace-id"] = traceID()
	return h, cookies
}

// textual reports whether API Gateway passes a body of this type as text;
// it base64-encodes everything else, including bodies without a type.
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", mt == "application/javascript", mt == "application/xml",
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}

// writeResponse writes the handler's response and returns the status sent.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) int {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return http.StatusInternalServerError
		}
		body = b
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return http.StatusInternalServerError
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return resp.StatusCode
}

// writeMessage writes API Gateway's own error body.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// invocationContext carries what the Lambda runtime gives every invocation.
func invocationContext(ctx context.Context, function string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newUUID(),
		InvokedFunctionArn: "arn:aws:lambda:" + region + ":" + accountID + ":function:" + function,
	})
}

// viaJSON returns v as the handler receives it: encoded by the service and
// decoded by the runtime, so omitted and empty fields look as they do on AWS.
func viaJSON[T any](v T) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, fmt.Errorf("encode event: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("decode event: %w", err)
	}
	return out, nil
}

// randomBytes returns n random bytes; crypto/rand.Read cannot fail.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// newRequestID returns an id shaped like API Gateway's ("JKJaXmPLvHcESHA=").
func newRequestID() string { return base64.StdEncoding.EncodeToString(randomBytes(10)) }

func newUUID() string {
	h := hex.EncodeToString(randomBytes(16))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func traceID() string {
	return fmt.Sprintf("Root=1-%08x-%s", time.Now().Unix(), hex.EncodeToString(randomBytes(12)))
}
