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
	PublicBaseURL     string
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
	Webhook   = []string{"table", "queues", "seal"}
	OAuth     = []string{"table", "queues", "seal", "qbo", "state"}
	Scheduler = []string{"table", "queues", "seal", "qbo"}
	Admin     = []string{"table", "queues", "seal", "qbo", "deadletters"}
	Sync      = []string{"table", "queues", "seal", "qbo", "sync", "defer"}
	Resume    = []string{"queues", "defer"}
)

// FromEnv reads the configuration. need names the groups the caller
// requires: "table", "queues", "seal" (TOKEN_KEY_ID or SEAL_LOCAL_KEY),
// "qbo" (Intuit's endpoints and client), "state" (the OAuth state key),
// "sync", "defer" (the defer queue), "deadletters" (every dead-letter
// queue). Intuit's and the state key's settings are read only when
// needed, so a function never asks SSM for a secret it does not use.
func FromEnv(lookup Lookup, need ...string) (Config, error) {
	var c Config
	var missing []string
	needs := map[string]bool{}
	for _, n := range need {
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
	c.SealLocalKey, c.AuthLocalKey = get("SEAL_LOCAL_KEY", false), get("AUTH_LOCAL_KEY", false)
	c.TokenKeyID = get("TOKEN_KEY_ID", needs["seal"] && c.SealLocalKey == "")
	c.SyncKind = billing.Kind(get("SYNC_KIND", needs["sync"]))
	if v := get("QBO_THROTTLE_BACKOFF", false); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("QBO_THROTTLE_BACKOFF: %w", err)
		}
		c.ThrottleBackoff = d
	}
	if err := c.readLanes(get); err != nil {
		return c, err
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	if needs["sync"] && !c.SyncKind.Valid() {
		return c, errors.New("SYNC_KIND is not a billing kind: " + string(c.SyncKind))
	}
	return c, nil
}

// readLanes reads the webhook's live and backfill thresholds, both
// optional.
func (c *Config) readLanes(get func(string, bool) string) error {
	if v := get("LIVE_EVENTS_PER_MINUTE", false); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("LIVE_EVENTS_PER_MINUTE %q: want a positive whole number", v)
		}
		c.LiveEventsPerMinute = n
	}
	if v := get("BACKFILL_AGE_SECONDS", false); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("BACKFILL_AGE_SECONDS %q: want a positive whole number", v)
		}
		c.BackfillAge = time.Duration(n) * time.Second
	}
	return nil
}
