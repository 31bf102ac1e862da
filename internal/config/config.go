// Package config reads the functions' configuration from the environment
// that template.yaml sets, reporting every missing variable at once.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
)

// Config is what the functions need to reach AWS and Intuit.
type Config struct {
	Table     string
	QueueURLs map[billing.Kind]string
	// BackfillQueueURLs are the kinds' backfill lanes
	// (BACKFILL_QUEUE_URL_<KIND>), read with the live queues.
	BackfillQueueURLs map[billing.Kind]string
	// DeferQueueURL is the standard queue that parks syncs until they are
	// due (DEFER_QUEUE_URL).
	DeferQueueURL string
	// OutboundQueueURL is the standard queue that schedules deliveries of
	// events to the tenants' billing systems (OUTBOUND_QUEUE_URL).
	OutboundQueueURL string
	// DLQURLs are the kinds' dead-letter queues (DLQ_URL_<KIND>) and
	// DeferDLQURL the defer queue's (DEFER_DLQ_URL): the admin function
	// counts, lists and redrives what they hold.
	DLQURLs     map[billing.Kind]string
	DeferDLQURL string

	QBOAPIBase   string // https://quickbooks.api.intuit.com
	QBOAuthURL   string
	QBOTokenURL  string
	QBORevokeURL string
	QBOClientID  string
	// Secrets are named, not given: they are read once at cold start from
	// SSM Parameter Store (SecureString). Locally they may be given
	// directly through QBO_CLIENT_SECRET and STATE_KEY.
	ClientSecretParam string
	ClientSecret      string
	StateKeyParam     string
	StateKey          string
	// IntuitVerifierTokenParam names the verifier token that signs
	// Intuit's webhooks (INTUIT_VERIFIER_TOKEN_PARAM, in SSM); locally it
	// may be given as INTUIT_VERIFIER_TOKEN.
	IntuitVerifierTokenParam string
	IntuitVerifierToken      string
	PublicBaseURL            string
	// TokenKeyID is the KMS key that wraps the data keys sealing OAuth
	// tokens and webhook secrets (TOKEN_KEY_ID).
	TokenKeyID string
	// SealLocalKey and AuthLocalKey (hex) replace KMS and the gateway's
	// JWT authorizer on the local stack; they are never set on AWS.
	SealLocalKey string
	AuthLocalKey string
	SyncKind     billing.Kind
	// LiveEventsPerMinute and BackfillAge tell the webhook which events
	// are backfill (LIVE_EVENTS_PER_MINUTE, BACKFILL_AGE_SECONDS); zero
	// takes the lanes' defaults.
	LiveEventsPerMinute int
	BackfillAge         time.Duration
	// ThrottleBackoff is how long a realm rests after Intuit throttles it
	// (QBO_THROTTLE_BACKOFF, a Go duration; default 60s, Intuit's advice).
	ThrottleBackoff time.Duration
	// OutboundRetryFirst is the wait after a delivery's first failed
	// attempt (OUTBOUND_RETRY_FIRST, a Go duration; default 30s).
	OutboundRetryFirst time.Duration
}

// Lookup is os.LookupEnv's signature.
type Lookup func(string) (string, bool)

// QueueEnv is the environment variable holding kind's queue URL.
func QueueEnv(kind billing.Kind) string {
	return "QUEUE_URL_" + strings.ToUpper(string(kind))
}

// BackfillQueueEnv is the environment variable holding kind's backfill
// queue URL.
func BackfillQueueEnv(kind billing.Kind) string {
	return "BACKFILL_QUEUE_URL_" + strings.ToUpper(string(kind))
}

// DLQEnv is the environment variable holding kind's dead-letter queue URL.
func DLQEnv(kind billing.Kind) string {
	return "DLQ_URL_" + strings.ToUpper(string(kind))
}

// What each function reads at cold start (its main passes its set to
// app.FromAWS): a function reads only these, so its role needs no more.
var (
	Webhook   = []string{"table", "queues", "seal", "intuit"}
	OAuth     = []string{"table", "queues", "seal", "qbo", "state"}
	Scheduler = []string{"table", "queues", "seal", "qbo", "outbound"}
	Admin     = []string{"table", "queues", "seal", "qbo", "deadletters", "outbound"}
	Sync      = []string{"table", "queues", "seal", "qbo", "sync", "defer", "outbound"}
	Resume    = []string{"queues", "defer"}
	Outbound  = []string{"table", "seal", "outbound"}
)

// FromEnv reads the configuration. need names the groups the caller
// requires: "table", "queues", "seal" (TOKEN_KEY_ID or SEAL_LOCAL_KEY),
// "qbo" (Intuit's endpoints and client), "state" (the OAuth state key),
// "sync", "defer" (the defer queue), "outbound" (the outbound queue),
// "intuit" (the verifier token of Intuit's webhooks),
// "deadletters" (every dead-letter queue). Intuit's and the state key's settings are read only when
// needed, so a function never asks SSM for a secret it does not use.
func FromEnv(lookup Lookup, need ...string) (Config, error) {
	var c Config
	var missing, malformed []string
	needs := map[string]bool{}
	for _, n := range need {
		if !groups[n] {
			return c, fmt.Errorf("config: unknown group %q", n)
		}
		needs[n] = true
	}
	get := func(name string, required bool) string {
		v, ok := lookup(name)
		if !ok {
			v = ""
		}
		if required && v == "" {
			missing = append(missing, name)
		}
		return v
	}
	// either reads a secret named in SSM (param) or given directly
	// (local stacks only), requiring one of them.
	either := func(param, direct string) (string, string) {
		p, d := get(param, false), get(direct, false)
		if p == "" && d == "" {
			missing = append(missing, param)
		}
		return p, d
	}
	c.Table = get("TABLE_NAME", needs["table"])
	c.QueueURLs = map[billing.Kind]string{}
	for _, k := range billing.Kinds {
		if u := get(QueueEnv(k), needs["queues"]); u != "" {
			c.QueueURLs[k] = u
		}
	}
	c.BackfillQueueURLs = map[billing.Kind]string{}
	for _, k := range billing.Kinds {
		if u := get(BackfillQueueEnv(k), needs["queues"]); u != "" {
			c.BackfillQueueURLs[k] = u
		}
	}
	c.DeferQueueURL = get("DEFER_QUEUE_URL", needs["defer"])
	c.OutboundQueueURL = get("OUTBOUND_QUEUE_URL", needs["outbound"])
	c.DLQURLs = map[billing.Kind]string{}
	for _, k := range billing.Kinds {
		if u := get(DLQEnv(k), needs["deadletters"]); u != "" {
			c.DLQURLs[k] = u
		}
	}
	c.DeferDLQURL = get("DEFER_DLQ_URL", needs["deadletters"])
	if needs["qbo"] {
		c.QBOAPIBase = get("QBO_API_BASE", true)
		c.QBOAuthURL = get("QBO_AUTH_URL", true)
		c.QBOTokenURL = get("QBO_TOKEN_URL", true)
		c.QBORevokeURL = get("QBO_REVOKE_URL", false)
		c.QBOClientID = get("QBO_CLIENT_ID", true)
		c.ClientSecretParam, c.ClientSecret = either("QBO_CLIENT_SECRET_PARAM", "QBO_CLIENT_SECRET")
		c.PublicBaseURL = get("PUBLIC_BASE_URL", false)
	}
	if needs["state"] {
		c.StateKeyParam, c.StateKey = either("STATE_KEY_PARAM", "STATE_KEY")
	}
	if needs["intuit"] {
		c.IntuitVerifierTokenParam, c.IntuitVerifierToken = either("INTUIT_VERIFIER_TOKEN_PARAM", "INTUIT_VERIFIER_TOKEN")
	}
	c.SealLocalKey, c.AuthLocalKey = get("SEAL_LOCAL_KEY", false), get("AUTH_LOCAL_KEY", false)
	c.TokenKeyID = get("TOKEN_KEY_ID", needs["seal"] && c.SealLocalKey == "")
	c.SyncKind = billing.Kind(get("SYNC_KIND", needs["sync"]))
	// Zero would silently mean the default; a negative rest none at all.
	if v := get("QBO_THROTTLE_BACKOFF", false); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			malformed = append(malformed, fmt.Sprintf("QBO_THROTTLE_BACKOFF must be a positive Go duration such as 60s, not %q", v))
		}
		c.ThrottleBackoff = d
	}
	if v := get("OUTBOUND_RETRY_FIRST", false); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			malformed = append(malformed, fmt.Sprintf("OUTBOUND_RETRY_FIRST must be a positive Go duration such as 30s, not %q", v))
		}
		c.OutboundRetryFirst = d
	}
	malformed = append(malformed, c.readLanes(get)...)
	if needs["sync"] && c.SyncKind != "" && !c.SyncKind.Valid() {
		malformed = append(malformed, "SYNC_KIND is not a billing kind: "+string(c.SyncKind))
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "missing environment: "+strings.Join(missing, ", "))
	}
	if problems = append(problems, malformed...); len(problems) > 0 {
		return c, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

// groups are the names FromEnv's need accepts.
var groups = map[string]bool{"table": true, "queues": true, "seal": true, "qbo": true, "state": true,
	"sync": true, "defer": true, "deadletters": true, "outbound": true, "intuit": true}

// readLanes reads the webhook's live and backfill thresholds, both
// optional, and says what is malformed.
func (c *Config) readLanes(get func(string, bool) string) []string {
	var malformed []string
	if v := get("LIVE_EVENTS_PER_MINUTE", false); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			malformed = append(malformed, fmt.Sprintf("LIVE_EVENTS_PER_MINUTE must be a positive whole number, not %q", v))
		}
		c.LiveEventsPerMinute = n
	}
	if v := get("BACKFILL_AGE_SECONDS", false); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			malformed = append(malformed, fmt.Sprintf("BACKFILL_AGE_SECONDS must be a positive whole number, not %q", v))
		}
		c.BackfillAge = time.Duration(n) * time.Second
	}
	return malformed
}
