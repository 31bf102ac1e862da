package devstack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Fixture is what an integration test needs to drive a running stack,
// written as JSON by WriteFixture (make dev writes .dev/stack.json). Every
// URL is on the loopback interface; the tokens and the simulator's client
// are local ones, good for this stack only.
type Fixture struct {
	GatewayURL string `json:"gateway_url"`
	// WebhookURL is the webhook of a tenant: replace {tenant}.
	WebhookURL string `json:"webhook_url"`
	AdminURL   string `json:"admin_url"`
	// AdminTokenURL mints an admin token for a provisioned tenant:
	// POST {"tenant": "<id>"} answers {"token", "tenant", "expires_at"}.
	// The identity provider's job in production; local only.
	AdminTokenURL string `json:"admin_token_url"`
	// OperatorToken provisions tenants (/api/v1/operator/tenants).
	OperatorToken string        `json:"operator_token"`
	Simulator     SimulatorInfo `json:"simulator"`
	Emulators     EmulatorInfo  `json:"emulators"`
	Demo          *DemoFixture  `json:"demo,omitempty"`
}

// SimulatorInfo locates the QBO simulator and its OAuth client.
type SimulatorInfo struct {
	URL          string `json:"url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	AuthorizeURL string `json:"authorize_url"`
	TokenURL     string `json:"token_url"`
	RevokeURL    string `json:"revoke_url"`
}

// EmulatorInfo locates DynamoDB Local, the SQS emulator and the names of
// the table the stack created in them.
type EmulatorInfo struct {
	DynamoDB string `json:"dynamodb_endpoint"`
	SQS      string `json:"sqs_endpoint"`
	Prefix   string `json:"prefix"`
}

// DemoFixture is the demo tenant, when the stack runs one.
type DemoFixture struct {
	Tenant        string `json:"tenant"`
	WebhookSecret string `json:"webhook_secret"`
	RealmID       string `json:"realm_id"`
}

// Fixture describes the stack; d is the demo it ran, or nil.
func (s *Stack) Fixture(d *Demo) Fixture {
	gw, sim := s.GatewayURL(), s.QBOURL()
	f := Fixture{
		GatewayURL:    gw,
		WebhookURL:    gw + "/v1/webhooks/{tenant}",
		AdminURL:      gw + "/admin",
		AdminTokenURL: gw + adminTokenPath,
		OperatorToken: s.OperatorToken(),
		Simulator: SimulatorInfo{URL: sim, ClientID: SimClientID, ClientSecret: SimClientSecret,
			AuthorizeURL: sim + "/connect/oauth2", TokenURL: sim + "/oauth2/v1/tokens/bearer", RevokeURL: sim + "/oauth2/v1/tokens/revoke"},
		Emulators: EmulatorInfo{DynamoDB: s.emu.DynamoEndpoint, SQS: s.emu.SQSEndpoint, Prefix: s.prefix},
	}
	if d != nil {
		f.Demo = &DemoFixture{Tenant: d.Tenant, WebhookSecret: d.Secret, RealmID: d.RealmID}
	}
	return f
}

// WriteFixture writes s.Fixture(d) to path as JSON, readable by its owner
// only (it holds tokens), creating the directory.
func (s *Stack) WriteFixture(path string, d *Demo) error {
	b, err := json.MarshalIndent(s.Fixture(d), "", "  ")
	if err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	return nil
}
