package config

import (
	"strings"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// deployed is the environment template.yaml gives the sync function.
func deployed() map[string]string {
	m := map[string]string{
		"TABLE_NAME":                  "qbosync",
		"DEFER_QUEUE_URL":             "https://sqs/defer",
		"DEFER_DLQ_URL":               "https://sqs/defer-dlq",
		"OUTBOUND_QUEUE_URL":          "https://sqs/outbound",
		"INTUIT_VERIFIER_TOKEN_PARAM": "/qbosync/intuit-verifier-token",
		"QBO_API_BASE":                "https://quickbooks.api.intuit.com",
		"QBO_AUTH_URL":                "https://appcenter.intuit.com/connect/oauth2",
		"QBO_TOKEN_URL":               "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
		"QBO_REVOKE_URL":              "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
		"QBO_CLIENT_ID":               "client",
		"QBO_CLIENT_SECRET_PARAM":     "/qbosync/client-secret",
		"STATE_KEY_PARAM":             "/qbosync/state-key",
		"TOKEN_KEY_ID":                "alias/qbosync",
		"SYNC_KIND":                   "invoice",
	}
	for _, k := range billing.Kinds {
		m[QueueEnv(k)] = "https://sqs/" + string(k)
		m[DLQEnv(k)] = "https://sqs/" + string(k) + "-dlq"
		m[BackfillQueueEnv(k)] = "https://sqs/" + string(k) + "-backfill"
	}
	return m
}

func TestFromEnvReadsWhatTheTemplateSets(t *testing.T) {
	c, err := FromEnv(env(deployed()), append(Sync, "state", "deadletters")...)
	if err != nil {
		t.Fatal(err)
	}
	if c.Table != "qbosync" || c.SyncKind != billing.Kind("invoice") || c.DeferQueueURL != "https://sqs/defer" ||
		c.DeferDLQURL != "https://sqs/defer-dlq" || c.TokenKeyID != "alias/qbosync" {
		t.Errorf("config %+v", c)
	}
	if c.QBOClientID != "client" || c.ClientSecretParam != "/qbosync/client-secret" || c.ClientSecret != "" ||
		c.StateKeyParam != "/qbosync/state-key" || !strings.HasSuffix(c.QBOTokenURL, "/tokens/bearer") {
		t.Errorf("Intuit settings %+v", c)
	}
	if len(c.QueueURLs) != len(billing.Kinds) || len(c.DLQURLs) != len(billing.Kinds) {
		t.Fatalf("%d queues and %d dead-letter queues, want %d of each", len(c.QueueURLs), len(c.DLQURLs), len(billing.Kinds))
	}
	for _, k := range billing.Kinds {
		if c.QueueURLs[k] != "https://sqs/"+string(k) || c.DLQURLs[k] != "https://sqs/"+string(k)+"-dlq" {
			t.Errorf("%s: queue %q dead letters %q", k, c.QueueURLs[k], c.DLQURLs[k])
		}
	}
	if c.ThrottleBackoff != 0 {
		t.Errorf("throttle backoff %v without QBO_THROTTLE_BACKOFF, want 0 (the default applies)", c.ThrottleBackoff)
	}
}

func TestFromEnvNamesEveryMissingVariableAtOnce(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"TABLE_NAME": ""}), Sync...)
	if err == nil {
		t.Fatal("an empty environment is accepted")
	}
	want := []string{"TABLE_NAME", "QUEUE_URL_CUSTOMER", "QUEUE_URL_INVOICE", "DEFER_QUEUE_URL", "QBO_API_BASE",
		"QBO_AUTH_URL", "QBO_TOKEN_URL", "QBO_CLIENT_ID", "QBO_CLIENT_SECRET_PARAM", "TOKEN_KEY_ID", "SYNC_KIND"}
	for _, name := range want {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	for _, optional := range []string{"QBO_REVOKE_URL", "PUBLIC_BASE_URL", "QBO_THROTTLE_BACKOFF", "STATE_KEY", "DLQ_URL_"} {
		if strings.Contains(err.Error(), optional) {
			t.Errorf("the error names %s, which the sync function does not need: %v", optional, err)
		}
	}
}

func TestEachFunctionRequiresOnlyWhatItReads(t *testing.T) {
	full := deployed()
	for name, c := range map[string]struct {
		need []string
		drop []string // variables the function must start without
	}{
		"webhook":   {Webhook, []string{"QBO_CLIENT_ID", "QBO_CLIENT_SECRET_PARAM", "STATE_KEY_PARAM", "SYNC_KIND", "DEFER_QUEUE_URL"}},
		"oauth":     {OAuth, []string{"SYNC_KIND", "DEFER_QUEUE_URL", "DLQ_URL_INVOICE"}},
		"scheduler": {Scheduler, []string{"STATE_KEY_PARAM", "SYNC_KIND"}},
		"admin":     {Admin, []string{"STATE_KEY_PARAM", "SYNC_KIND", "DEFER_QUEUE_URL"}},
		"resume":    {Resume, []string{"TABLE_NAME", "TOKEN_KEY_ID", "QBO_CLIENT_ID", "SYNC_KIND"}},
		"outbound":  {Outbound, []string{"QBO_CLIENT_ID", "STATE_KEY_PARAM", "SYNC_KIND", "DEFER_QUEUE_URL"}},
	} {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for _, k := range c.drop {
			delete(m, k)
		}
		if _, err := FromEnv(env(m), c.need...); err != nil {
			t.Errorf("%s without %v: %v", name, c.drop, err)
		}
	}
	m := deployed()
	delete(m, "STATE_KEY_PARAM")
	if _, err := FromEnv(env(m), OAuth...); err == nil || !strings.Contains(err.Error(), "STATE_KEY_PARAM") {
		t.Errorf("the OAuth function without its state key: %v, want STATE_KEY_PARAM named", err)
	}
}

func TestLocalStackGivesSecretsDirectly(t *testing.T) {
	m := deployed()
	for _, k := range []string{"QBO_CLIENT_SECRET_PARAM", "STATE_KEY_PARAM", "TOKEN_KEY_ID"} {
		delete(m, k)
	}
	m["QBO_CLIENT_SECRET"], m["STATE_KEY"], m["SEAL_LOCAL_KEY"], m["AUTH_LOCAL_KEY"] = "secret", "state", "aa", "bb"
	c, err := FromEnv(env(m), append(Sync, "state")...)
	if err != nil {
		t.Fatalf("a local stack's secrets are refused: %v", err)
	}
	if c.ClientSecret != "secret" || c.StateKey != "state" || c.SealLocalKey != "aa" || c.AuthLocalKey != "bb" || c.TokenKeyID != "" {
		t.Errorf("local secrets %+v", c)
	}
}

func TestFromEnvRefusesMalformedValuesNamingThem(t *testing.T) {
	m := deployed()
	m["SYNC_KIND"] = "invoices"
	if _, err := FromEnv(env(m), Sync...); err == nil || !strings.Contains(err.Error(), "SYNC_KIND") || !strings.Contains(err.Error(), "invoices") {
		t.Errorf("SYNC_KIND=invoices: %v, want it named with its value", err)
	}
	m = deployed()
	m["QBO_THROTTLE_BACKOFF"] = "90s"
	if c, err := FromEnv(env(m), Sync...); err != nil || c.ThrottleBackoff != 90*time.Second {
		t.Errorf("QBO_THROTTLE_BACKOFF=90s: %v, %v", c.ThrottleBackoff, err)
	}
	for _, bad := range []string{"60", "soon", "-5s", "0s"} {
		m["QBO_THROTTLE_BACKOFF"] = bad
		if _, err := FromEnv(env(m), Sync...); err == nil || !strings.Contains(err.Error(), "QBO_THROTTLE_BACKOFF") {
			t.Errorf("QBO_THROTTLE_BACKOFF=%s: %v, want it refused and named", bad, err)
		}
	}
	for _, name := range []string{"LIVE_EVENTS_PER_MINUTE", "BACKFILL_AGE_SECONDS"} {
		for _, bad := range []string{"0", "-1", "ten", "1.5"} {
			m = deployed()
			m[name] = bad
			if _, err := FromEnv(env(m), Webhook...); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), bad) {
				t.Errorf("%s=%s: %v, want it refused and named with its value", name, bad, err)
			}
		}
	}
	m = deployed()
	m["LIVE_EVENTS_PER_MINUTE"], m["BACKFILL_AGE_SECONDS"] = "30", "600"
	if c, err := FromEnv(env(m), Webhook...); err != nil || c.LiveEventsPerMinute != 30 || c.BackfillAge != 10*time.Minute {
		t.Errorf("lanes 30/min, 600 s: %d, %v, %v", c.LiveEventsPerMinute, c.BackfillAge, err)
	}
}

func TestFromEnvReportsAMalformedValueWithTheMissingOnes(t *testing.T) {
	m := deployed()
	delete(m, "TABLE_NAME")
	m["QBO_THROTTLE_BACKOFF"] = "soon"
	_, err := FromEnv(env(m), Sync...)
	if err == nil || !strings.Contains(err.Error(), "TABLE_NAME") || !strings.Contains(err.Error(), "QBO_THROTTLE_BACKOFF") {
		t.Errorf("a missing table and a malformed backoff: %v, want both named at once", err)
	}
}

func TestFromEnvRefusesAnUnknownGroup(t *testing.T) {
	if _, err := FromEnv(env(deployed()), "table", "deadletter"); err == nil || !strings.Contains(err.Error(), `"deadletter"`) {
		t.Errorf("need \"deadletter\" (a typo): %v, want the unknown group named", err)
	}
}
