// Package apijson holds the conventions of the service's JSON HTTP API on
// API Gateway (payload v2): routing by ServeMux patterns, bounded, strict
// request bodies, and one error body on every route: a stable code, a
// message for people and, for invalid input, one problem per field.
package apijson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/auth"
)

// Error is a request the API refuses, with its HTTP status; it is also
// the body of every error answer.
type Error struct {
	Status   int       `json:"-"`
	Code     string    `json:"error"`
	Message  string    `json:"message"`
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one invalid input field and what is wrong with it.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Invalid is a 400 invalid_request naming each refused field; its message
// is the first problem's.
func Invalid(problems ...Problem) *Error {
	e := Bad("%s", problems[0].Message)
	e.Problems = problems
	return e
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf returns an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Bad is a 400 invalid_request.
func Bad(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "invalid_request", format, args...)
}

// Decode reads req's JSON body into v: at most max bytes, Content-Type
// application/json, one object, no unknown fields.
func Decode(req events.APIGatewayV2HTTPRequest, max int, v any) *Error {
	if ct := header(req, "content-type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
		}
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if len(req.Body) > base64.StdEncoding.EncodedLen(max) {
			return tooLarge(max)
		}
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return Bad("the body is not valid base64")
		}
	}
	if len(body) > max {
		return tooLarge(max)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Bad("a JSON object body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Bad("the body is not the expected JSON object: %s", describe(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Bad("the body holds more than one JSON value")
	}
	return nil
}

func tooLarge(max int) *Error {
	return Errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the body exceeds %d bytes", max)
}

// describe keeps decoder errors short and free of the input's content.
func describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// Respond returns a JSON response.
func Respond(status int, v any) events.APIGatewayV2HTTPResponse {
	status, b := encode(status, v)
	h := map[string]string{}
	for k, v := range headers {
		h[k] = v
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b), Headers: h}
}

// WriteJSON writes a JSON response to w, with Respond's headers.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	status, b := encode(status, v)
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteError writes e as the error body.
func WriteError(w http.ResponseWriter, e *Error) { WriteJSON(w, e.Status, e) }

// headers are on every JSON answer: nothing is cached, nothing sniffed.
var headers = map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store",
	"X-Content-Type-Options": "nosniff"}

func encode(status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"error":"internal","message":"the response could not be encoded"}`)
	}
	return status, b
}

// Fail returns err's response: an *Error as given, auth errors as 401 or
// 403, anything else as a 500 that reveals nothing.
func Fail(err error) events.APIGatewayV2HTTPResponse {
	var ae *Error
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, auth.ErrUnauthorized):
		r := Respond(http.StatusUnauthorized, Errorf(0, "unauthorized", "a valid bearer token is required"))
		r.Headers["WWW-Authenticate"] = `Bearer realm="qbosync"`
		return r
	case errors.Is(err, auth.ErrForbidden):
		ae = Errorf(http.StatusForbidden, "forbidden", "this token does not allow the request")
	default:
		ae = Errorf(http.StatusInternalServerError, "internal", "the request failed; try again")
	}
	return Respond(ae.Status, ae)
}

// header returns a request header by lower-case name (API Gateway v2
// lower-cases them; other callers may not).
func header(req events.APIGatewayV2HTTPRequest, name string) string {
	if v, ok := req.Headers[name]; ok {
		return v
	}
	for k, v := range req.Headers {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
			return v
		}
	}
	return ""
}
