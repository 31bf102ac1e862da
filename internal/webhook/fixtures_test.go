package webhook

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/billing"
)

var update = flag.Bool("update", false, "rewrite events/webhook fixtures from events/billing")

const (
	fixtureDir = "../../events/webhook"
	billingDir = "../../events/billing"
	// The fixtures carry a real signature made with the demo secret at a
	// fixed time; tests re-sign them with the current time.
	demoTenant = "demo"
	demoSecret = "whsec_demo"
)

var demoSignedAt = time.Date(2026, 11, 21, 10, 15, 0, 0, time.UTC)

// fixtures: API Gateway HTTP API v2 events for the webhook function,
// built from the contract samples so that the two never drift apart.
var fixtures = []struct {
	name        string
	sample      string
	contentType string
	base64      bool
	edit        func(map[string]any)
}{
	{name: "customer-created.json", sample: "01-customer-cus_1001.json", contentType: "application/json"},
	{name: "invoice-created.json", sample: "04-invoice-inv_1001.json", contentType: "application/json"},
	{name: "invoice-created-base64.json", sample: "04-invoice-inv_1001.json", contentType: "application/json; charset=utf-8", base64: true},
	{name: "payment-created.json", sample: "05-payment-pay_1001.json", contentType: "application/json"},
	{name: "invoice-invalid.json", sample: "04-invoice-inv_1001.json", contentType: "application/json", edit: func(m map[string]any) {
		m["id"] = "evt_invalid_0001"
		d := m["data"].(map[string]any)
		delete(d, "customer_id")
		d["currency"] = "usd"
		d["lines"].([]any)[0].(map[string]any)["unit_amount"] = json.RawMessage("49.00")
		d["total"] = 9000
	}},
	{name: "customer-text-plain.json", sample: "01-customer-cus_1001.json", contentType: "text/plain"},
}

func fixtureEvent(t *testing.T, name, sample, contentType string, b64 bool, edit func(map[string]any)) events.APIGatewayV2HTTPRequest {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(billingDir, sample))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		if body, err = json.MarshalIndent(m, "", "  "); err != nil {
			t.Fatal(err)
		}
		body = append(body, '\n')
	}
	path := "/v1/webhooks/" + demoTenant
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /v1/webhooks/{tenant}", RawPath: path,
		Headers: map[string]string{
			"content-type":      contentType,
			"billing-signature": billing.Sign([]byte(demoSecret), demoSignedAt, body),
			"host":              "abc123.execute-api.us-east-1.amazonaws.com",
			"user-agent":        "billing-webhooks/1.0",
		},
		PathParameters: map[string]string{"tenant": demoTenant},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /v1/webhooks/{tenant}", AccountID: "000000000000", Stage: "$default",
			RequestID: "req-" + strings.TrimSuffix(name, ".json"), APIID: "abc123", DomainName: "abc123.execute-api.us-east-1.amazonaws.com",
			DomainPrefix: "abc123", Time: "21/Nov/2026:10:15:00 +0000", TimeEpoch: demoSignedAt.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: "billing-webhooks/1.0",
			},
		},
		Body: string(body), IsBase64Encoded: b64,
	}
	if b64 {
		req.Body = base64.StdEncoding.EncodeToString(body)
	}
	return req
}

// TestFixtures checks that events/webhook matches what the samples produce
// (rewrite them with -update).
func TestFixtures(t *testing.T) {
	for _, f := range fixtures {
		want := encodeFixture(t, fixtureEvent(t, f.name, f.sample, f.contentType, f.base64, f.edit))
		path := filepath.Join(fixtureDir, f.name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is out of date; run go test ./internal/webhook -run TestFixtures -update", path)
		}
	}
}

// encodeFixture writes req as API Gateway sends it, without the empty
// client-certificate block the Go type always carries.
func encodeFixture(t *testing.T, req events.APIGatewayV2HTTPRequest) []byte {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m["requestContext"].(map[string]any), "authentication")
	if b, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// loadFixture reads a fixture and re-signs its body with secret at now,
// as a billing system would send it now.
func loadFixture(t *testing.T, name string, secret []byte, now time.Time) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	req.Headers["billing-signature"] = billing.Sign(secret, now, rawBody(t, req))
	return req
}

func rawBody(t *testing.T, req events.APIGatewayV2HTTPRequest) []byte {
	t.Helper()
	if !req.IsBase64Encoded {
		return []byte(req.Body)
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
