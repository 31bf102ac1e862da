package devstack

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
	"github.com/qbosync/qbosync/internal/localaws"
)

// Defaults for an SQS event source that leaves them out, as Lambda's.
const (
	defaultBatchSize   = 10
	defaultConcurrency = 5
)

// httpHandler returns the constructor of the function that serves HTTP
// routes under logical id, as functions/<name>/main.go wires it.
func httpHandler(id string) (func(app.Deps) app.HTTPHandler, bool) {
	switch id {
	case "WebhookFunction":
		return app.Webhook, true
	case "OAuthFunction":
		return app.OAuth, true
	case "AdminFunction":
		return app.Admin, true
	}
	return nil, false
}

// sqsHandler returns the constructor of the function that consumes SQS
// queues under logical id: the resume function drains the defer queue,
// the outbound function the outbound queue, every other is a sync
// function.
func sqsHandler(id string) func(app.Deps) app.SQSHandler {
	switch id {
	case "ResumeFunction":
		return app.Resume
	case outboundFunction:
		return app.Outbound
	}
	return app.Sync
}

// outboundFunction delivers events to billing.
const outboundFunction = "OutboundFunction"

// schedulerFunction is the logical id of the function behind the hourly schedule.
const schedulerFunction = "SchedulerFunction"

// environment is what the local stack sets instead of what needs a
// deployment: Intuit is the simulator, and secrets are given directly
// rather than named in SSM.
type environment struct {
	simURL, gatewayURL, stateKey string
	// sealKey stands in for the KMS key, authKey for the gateway's JWT
	// authorizer (hex).
	sealKey, authKey string
	// verifierToken signs the simulator's webhooks to the gateway.
	verifierToken   string
	throttleBackoff time.Duration
	// outboundRetryFirst, when set, shortens the outbound back-off.
	outboundRetryFirst time.Duration
	livePerMinute      int
}

func (e environment) overlay(env map[string]string) config.Lookup {
	local := map[string]string{
		"QBO_API_BASE":      e.simURL,
		"QBO_AUTH_URL":      e.simURL + "/connect/oauth2",
		"QBO_TOKEN_URL":     e.simURL + "/oauth2/v1/tokens/bearer",
		"QBO_REVOKE_URL":    e.simURL + "/oauth2/v1/tokens/revoke",
		"QBO_CLIENT_ID":     SimClientID,
		"QBO_CLIENT_SECRET": SimClientSecret,
		"STATE_KEY":         e.stateKey,
		"PUBLIC_BASE_URL":   e.gatewayURL,
		"SEAL_LOCAL_KEY":    e.sealKey,
		"AUTH_LOCAL_KEY":    e.authKey,
		// The verifier token is given directly, as the secrets above.
		"INTUIT_VERIFIER_TOKEN": e.verifierToken,
	}
	if e.throttleBackoff > 0 {
		local["QBO_THROTTLE_BACKOFF"] = e.throttleBackoff.String()
	}
	if e.outboundRetryFirst > 0 {
		local["OUTBOUND_RETRY_FIRST"] = e.outboundRetryFirst.String()
	}
	if e.livePerMinute > 0 {
		local["LIVE_EVENTS_PER_MINUTE"] = strconv.Itoa(e.livePerMinute)
	}
	return func(name string) (string, bool) {
		if v, ok := local[name]; ok {
			return v, true
		}
		v, ok := env[name]
		return v, ok
	}
}

// functionConfig reads f's configuration from its template environment
// with the local overlay, requiring and reading what the function's main
// does, so a variable missing from the template fails here as it would on AWS.
func functionConfig(f localaws.Function, res localaws.Resources, env environment) (config.Config, error) {
	cfg, err := config.FromEnv(env.overlay(res.Env(f)), functionNeeds(f)...)
	if err != nil {
		return config.Config{}, fmt.Errorf("function %s: %w", f.LogicalID, err)
	}
	return cfg, nil
}

// functionNeeds is what f's main passes to app.FromAWS.
func functionNeeds(f localaws.Function) []string {
	switch f.LogicalID {
	case "WebhookFunction":
		return config.Webhook
	case "OAuthFunction":
		return config.OAuth
	case schedulerFunction:
		return config.Scheduler
	case "AdminFunction":
		return config.Admin
	case outboundFunction:
		return config.Outbound
	}
	if _, ok := f.Environment[localaws.SyncKindEnv]; ok {
		return config.Sync
	}
	return []string{"table", "queues", "seal", "qbo", "state"}
}

func timeout(f localaws.Function) time.Duration { return time.Duration(f.Timeout) * time.Second }

// routes returns the template's HTTP API routes, each served by its
// function's handler.
func routes(f localaws.Function, d app.Deps) ([]Route, error) {
	rs, err := f.Routes()
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	build, ok := httpHandler(f.LogicalID)
	if !ok {
		return nil, fmt.Errorf("function %s serves HTTP routes the local stack does not know", f.LogicalID)
	}
	h := build(d)
	var out []Route
	for _, r := range rs {
		out = append(out, Route{Method: r.Method, Path: r.Path, Handler: h, Function: f.LogicalID, Timeout: timeout(f)})
	}
	return out, nil
}

// eventSources returns a poller per SQS event source of f, each invoking
// the sync handler built for f.
func eventSources(ctx context.Context, tmpl *localaws.Template, f localaws.Function, d app.Deps, res localaws.Resources, sq *sqs.Client) ([]*eventSource, error) {
	evs, err := f.SQSEvents()
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	names := make([]string, 0, len(evs))
	for name := range evs {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sqsHandler(f.LogicalID)(d)
	var out []*eventSource
	for _, name := range names {
		ev := evs[name]
		qid, err := ev.QueueLogicalID()
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", f.LogicalID, err)
		}
		url := res.Physical[qid]
		if url == "" {
			return nil, fmt.Errorf("function %s: queue %s was not provisioned", f.LogicalID, qid)
		}
		arn, err := queueARN(ctx, sq, url)
		if err != nil {
			return nil, err
		}
		src := &eventSource{function: f.LogicalID, queueURL: url, queueARN: arn, handler: h,
			batchSize: defaultBatchSize, concurrency: defaultConcurrency, timeout: timeout(f)}
		if ev.BatchSize > 0 {
			src.batchSize = int32(min(ev.BatchSize, defaultBatchSize))
		}
		// The template's parameter defaults: the concurrency a deployment
		// with no overrides gets, so local numbers mean what AWS's would.
		n, err := tmpl.Int(ev.ScalingConfig.MaximumConcurrency, localaws.Deployment{})
		if err != nil {
			return nil, fmt.Errorf("function %s event %s: MaximumConcurrency: %w", f.LogicalID, name, err)
		}
		if n > 0 {
			src.concurrency = n
		}
		out = append(out, src)
	}
	return out, nil
}

func queueARN(ctx context.Context, sq *sqs.Client, url string) (string, error) {
	out, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("arn of %s: %w", url, err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// scheduled wraps the scheduler handler so it is invoked as Lambda invokes
// it for an EventBridge rule: a scheduled event, a Lambda context and the
// function's timeout.
func scheduled(f localaws.Function, h func(context.Context, events.EventBridgeEvent) error, prefix string) func(context.Context) error {
	rule := "arn:aws:events:" + region + ":" + accountID + ":rule/" + prefix + "-" + f.LogicalID + "Hourly"
	return func(ctx context.Context) (err error) {
		ev, err := viaJSON(events.EventBridgeEvent{
			Version: "0", ID: newUUID(), DetailType: "Scheduled Event", Source: "aws.events",
			AccountID: accountID, Time: time.Now().UTC().Truncate(time.Second), Region: region,
			Resources: []string{rule}, Detail: []byte("{}"),
		})
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(invocationContext(ctx, f.LogicalID), timeout(f))
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("scheduler panic: %v", p)
			}
		}()
		return h(ctx, ev)
	}
}
