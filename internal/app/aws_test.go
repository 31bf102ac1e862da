package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/config"
)

// deniedSSM is an SSM endpoint that refuses every call, as AWS does for a
// role without ssm:GetParameter.
type deniedSSM struct{}

func (deniedSSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized to perform: ssm:GetParameter"}`))
}

// functionEnv sets what template.yaml's Globals give every function, with
// AWS's endpoints pointing at url.
func functionEnv(t *testing.T, url string) {
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("TABLE_NAME", "qbosync-Table")
	for _, k := range billing.Kinds {
		t.Setenv(config.QueueEnv(k), url+"/000000000000/"+string(k)+".fifo")
		t.Setenv(config.BackfillQueueEnv(k), url+"/000000000000/"+string(k)+"-backfill.fifo")
	}
	t.Setenv("OUTBOUND_QUEUE_URL", url+"/000000000000/outbound")
	t.Setenv("QBO_API_BASE", "https://sandbox-quickbooks.api.intuit.com")
	t.Setenv("QBO_AUTH_URL", "https://appcenter.intuit.com/connect/oauth2")
	t.Setenv("QBO_TOKEN_URL", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer")
	t.Setenv("QBO_CLIENT_ID", "client")
	t.Setenv("QBO_CLIENT_SECRET_PARAM", "/qbosync/dev/intuit-client-secret")
	t.Setenv("TOKEN_KEY_ID", "1234abcd-12ab-34cd-56ef-1234567890ab")
	t.Setenv("OUTBOUND_QUEUE_URL", url+"/000000000000/outbound")
}

// verifierParam is the webhook function's own variable: the SSM name of
// Intuit's webhook verifier token.
const verifierParam = "/qbosync/dev/intuit-verifier-token"

// oneParameterSSM answers GetParameter for one name only, refusing the
// others as a role granted that one parameter does, and remembers the
// names asked for.
type oneParameterSSM struct {
	name, value string

	mu    sync.Mutex
	asked []string
}

func (o *oneParameterSSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	o.mu.Lock()
	o.asked = append(o.asked, in.Name)
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if in.Name != o.name {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized to perform: ssm:GetParameter"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": in.Name, "Type": "SecureString", "Value": o.value}})
}

// The webhook verifies billing's signatures with webhook secrets from the
// table and Intuit's with the verifier token; it never talks to Intuit, so
// its cold start reads the verifier token and never the client secret,
// which its role may not read.
func TestWebhookColdStartReadsOnlyTheVerifierToken(t *testing.T) {
	ssm := &oneParameterSSM{name: verifierParam, value: "verifier-token"}
	srv := httptest.NewServer(ssm)
	defer srv.Close()
	functionEnv(t, srv.URL)
	t.Setenv("INTUIT_VERIFIER_TOKEN_PARAM", verifierParam)

	d, err := FromAWS(context.Background(), config.Webhook...)
	if err != nil {
		t.Fatalf("webhook cold start: %v", err)
	}
	if d.Config.IntuitVerifierToken != "verifier-token" {
		t.Errorf("verifier token not read from %s", verifierParam)
	}
	ssm.mu.Lock()
	defer ssm.mu.Unlock()
	if len(ssm.asked) != 1 || ssm.asked[0] != verifierParam {
		t.Errorf("webhook cold start asked SSM for %v, want only %s", ssm.asked, verifierParam)
	}
}

// A function that needs the client secret and may not read it stops at
// cold start with one line naming the parameter and the refusal.
func TestColdStartNamesDeniedParameter(t *testing.T) {
	srv := httptest.NewServer(&deniedSSM{})
	defer srv.Close()
	functionEnv(t, srv.URL)

	_, err := FromAWS(context.Background(), config.Scheduler...)
	if err == nil {
		t.Fatal("cold start succeeded without the client secret")
	}
	msg := err.Error()
	for _, want := range []string{"/qbosync/dev/intuit-client-secret", "AccessDenied"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
}

// Settings that are wrong stop the cold start instead of failing the
// first request that uses them.
func TestColdStartRefusesBadLocalKeys(t *testing.T) {
	srv := httptest.NewServer(&deniedSSM{})
	defer srv.Close()
	tests := []struct{ name, env, value, want string }{
		{"seal key", "SEAL_LOCAL_KEY", "not-hex", "SEAL_LOCAL_KEY"},
		{"auth key", "AUTH_LOCAL_KEY", "abcd", "AUTH_LOCAL_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			functionEnv(t, srv.URL)
			t.Setenv("INTUIT_VERIFIER_TOKEN_PARAM", verifierParam)
			t.Setenv(tt.env, tt.value)
			_, err := FromAWS(context.Background(), config.Webhook...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// A function that stores secrets needs a key to seal them with.
func TestColdStartNeedsTokenKey(t *testing.T) {
	srv := httptest.NewServer(&deniedSSM{})
	defer srv.Close()
	functionEnv(t, srv.URL)
	t.Setenv("TOKEN_KEY_ID", "")
	_, err := FromAWS(context.Background(), config.Webhook...)
	if err == nil || !strings.Contains(err.Error(), "TOKEN_KEY_ID") {
		t.Fatalf("err = %v, want one naming TOKEN_KEY_ID", err)
	}
}
