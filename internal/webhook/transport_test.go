package webhook

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
)

func TestBodySize(t *testing.T) {
	e := newEnv()
	base := e.fixture(t, "customer-created.json")
	padded := func(n int) []byte { // valid JSON of exactly n bytes: trailing whitespace
		b := []byte(strings.TrimRight(base.Body, "\n"))
		return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
	}
	tests := []struct {
		name   string
		body   []byte
		base64 bool
		status int
	}{
		{"at the limit", padded(MaxBody), false, 202},
		{"one byte over", padded(MaxBody + 1), false, 413},
		{"base64 at the limit", padded(MaxBody), true, 202},
		{"base64 one byte over", padded(MaxBody + 1), true, 413},
		{"far over", bytes.Repeat([]byte(" "), 4*MaxBody), false, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			req := base
			req.Headers = map[string]string{"content-type": "application/json",
				"billing-signature": billing.Sign(secretA, e.now, tt.body)}
			req.Body, req.IsBase64Encoded = string(tt.body), tt.base64
			if tt.base64 {
				req.Body = base64.StdEncoding.EncodeToString(tt.body)
			}
			res := e.post(t, req)
			if res.StatusCode != tt.status {
				t.Errorf("status = %d %s, want %d", res.StatusCode, res.Body, tt.status)
			}
			if tt.status == 413 && res.Body != `{"error":"body_too_large"}` {
				t.Errorf("body = %s", res.Body)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	tests := []struct {
		contentType string
		status      int
	}{
		{"application/json", 202},
		{"application/json; charset=utf-8", 202},
		{"application/json; charset=UTF-8", 202},
		{"Application/JSON", 202},
		{"text/plain", 415},
		{"", 415},
		{"application/json; charset=iso-8859-1", 415},
		{"application/jsonp", 415},
		{"application/x-www-form-urlencoded", 415},
		{"application/json; charset", 415},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			e := newEnv()
			req := e.fixture(t, "customer-created.json")
			req.Headers["content-type"] = tt.contentType
			res := e.post(t, req)
			if res.StatusCode != tt.status {
				t.Errorf("status = %d %s, want %d", res.StatusCode, res.Body, tt.status)
			}
			if tt.status == 415 && res.Body != `{"error":"unsupported_media_type"}` {
				t.Errorf("body = %s", res.Body)
			}
		})
	}
	e := newEnv()
	expect(t, e.post(t, e.fixture(t, "customer-text-plain.json")), 415, `{"error":"unsupported_media_type"}`)
	req := e.fixture(t, "customer-created.json")
	delete(req.Headers, "content-type")
	req.Headers["Content-Type"] = "application/json" // callers other than API Gateway keep the case
	expect(t, e.post(t, req), 202, `{"event_id":"evt_demo_0001","status":"accepted"}`)
}

// TestOrder: the checks run in the contract's order, so each answer
// reveals nothing that an earlier check should have hidden.
func TestOrder(t *testing.T) {
	e := newEnv()
	req := e.fixture(t, "invoice-invalid.json")
	req.PathParameters["tenant"] = "NOT valid"
	req.Body = strings.Repeat(" ", MaxBody+1)
	req.Headers["content-type"] = "text/html"
	expect(t, e.post(t, req), 401, `{"error":"invalid_signature"}`) // tenant first

	req.PathParameters["tenant"] = "nobody"
	expect(t, e.post(t, req), 413, `{"error":"body_too_large"}`) // size before anything else of the body

	req = e.fixture(t, "invoice-invalid.json")
	req.PathParameters["tenant"] = "nobody"
	req.Headers["content-type"] = "text/html"
	expect(t, e.post(t, req), 415, `{"error":"unsupported_media_type"}`)

	req.Headers["content-type"] = "application/json"
	expect(t, e.post(t, req), 401, `{"error":"invalid_signature"}`) // before validation
}
