package apijson

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Every HTTP surface of the service routes with an http.ServeMux's method
// and path patterns ("GET /api/v1/operator/tenants/{tenant}"): handlers
// written for net/http through Request and Recorder, handlers of API
// Gateway events through Router. An unmatched route is a 404 not_found in
// the common error body, never the mux's plain-text answer.

// ErrBase64 is Request's error for a body API Gateway marked as base64
// that is not.
var ErrBase64 = errors.New("the body is not valid base64")

// Request converts an API Gateway (payload v2) request into an
// *http.Request with ctx: method, raw path and query, headers, and the
// body decoded when API Gateway encoded it.
func Request(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, ErrBase64
		}
		body = b
	}
	target := ev.RawPath
	if target == "" {
		target = ev.RequestContext.HTTP.Path
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	r, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	return r, nil
}

// Recorder is an http.ResponseWriter whose response goes back to API
// Gateway.
type Recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{header: http.Header{}} }

func (r *Recorder) Header() http.Header { return r.header }

func (r *Recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *Recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// Response is what was written, as API Gateway's answer.
func (r *Recorder) Response() events.APIGatewayV2HTTPResponse {
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	headers := map[string]string{}
	for k, v := range r.header {
		headers[k] = strings.Join(v, ", ")
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: r.body.String()}
}

// EventHandler answers one API Gateway request; r carries its path values
// (r.PathValue) and ctx.
type EventHandler func(r *http.Request, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse

// Router routes API Gateway requests to EventHandlers by ServeMux patterns.
type Router struct {
	mux      *http.ServeMux
	notFound string
}

// NewRouter returns a Router whose unmatched routes answer 404 not_found
// with message notFound.
func NewRouter(notFound string) *Router {
	rt := &Router{mux: http.NewServeMux(), notFound: notFound}
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, Errorf(http.StatusNotFound, "not_found", "%s", notFound))
	})
	return rt
}

// Handle registers fn for pattern, as http.ServeMux.Handle does.
func (rt *Router) Handle(pattern string, fn EventHandler) {
	rt.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ev, _ := r.Context().Value(eventKey{}).(events.APIGatewayV2HTTPRequest)
		answered, _ := r.Context().Value(answerKey{}).(*events.APIGatewayV2HTTPResponse)
		*answered = fn(r, ev)
	})
}

type (
	eventKey  struct{}
	answerKey struct{}
)

// Route answers ev with the handler its method and path match.
func (rt *Router) Route(ctx context.Context, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	// A GET pattern also matches HEAD, but these handlers act and answer
	// with a body: the API has no HEAD route.
	if ev.RequestContext.HTTP.Method == http.MethodHead {
		return Respond(http.StatusNotFound, Errorf(0, "not_found", "%s", rt.notFound))
	}
	var answered events.APIGatewayV2HTTPResponse
	ctx = context.WithValue(context.WithValue(ctx, eventKey{}, ev), answerKey{}, &answered)
	// The handlers read the event, not r's body: do not decode it twice.
	bare := ev
	bare.Body, bare.IsBase64Encoded = "", false
	r, err := Request(ctx, bare)
	if err != nil {
		return Fail(Bad("malformed request path"))
	}
	rec := NewRecorder()
	rt.mux.ServeHTTP(rec, r)
	if answered.StatusCode != 0 {
		return answered
	}
	return rec.Response() // the not-found route, or the mux's redirect to a clean path
}
