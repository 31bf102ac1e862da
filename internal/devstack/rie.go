package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/rie"
)

// Runtimes the stack can run the functions in.
const (
	RuntimeInProcess = ""    // the handlers in this process (fast, the default)
	RuntimeRIE       = "rie" // each function's bootstrap under aws-lambda-rie
)

// rieRuntime is the template's functions as their real bootstraps under
// AWS's Runtime Interface Emulator: the gateway, pollers and schedule
// invoke them as Lambda does.
type rieRuntime struct {
	functions map[string]*rie.Function
	gateways  []*rie.Gateway
	dir       string // the bootstraps, removed by close
}

// startRIE builds the bootstraps into a temporary directory and starts one emulator
// per function with the template's environment and the local overlay
// (the simulator for Intuit, secrets and keys given directly). AWS's APIs
// are reached through a gateway to the emulators.
func (s *Stack) startRIE(ctx context.Context, tmpl *localaws.Template, fns map[string]localaws.Function, env environment) (*rieRuntime, error) {
	bin, err := rie.BinaryPath(s.opts.Root)
	if err != nil {
		return nil, err
	}
	pkgs, err := rie.Packages(s.opts.Root)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "qbosync-bootstraps-")
	if err != nil {
		return nil, err
	}
	r := &rieRuntime{functions: map[string]*rie.Function{}, dir: dir}
	done := s.step("building the bootstraps")
	boots, err := rie.Build(ctx, s.opts.Root, dir, pkgs)
	if err != nil {
		r.close()
		return nil, err
	}
	done()
	deployment := localaws.Deployment{
		Parameters: map[string]string{"IntuitClientId": SimClientID, "PublicBaseUrl": s.gwURL,
			"AdminJwtIssuer": "local", "AdminJwtAudience": "local"},
		Physical: map[string]string{"TokenKey": "local"},
	}
	for id, f := range fns {
		boot, ok := boots[id]
		if !ok {
			r.close()
			return nil, fmt.Errorf("the Makefile has no build-%s target", id)
		}
		vars, err := tmpl.ResolveEnv(f, s.resources, deployment)
		if err != nil {
			r.close()
			return nil, err
		}
		lookup := env.overlay(vars)
		for _, k := range overlayNames(env) {
			if v, ok := lookup(k); ok {
				vars[k] = v
			}
		}
		keys, err := rie.NewKMS("local")
		if err != nil {
			r.close()
			return nil, err
		}
		// The secrets are given directly: SSM and KMS answer nothing used.
		gw, err := rie.NewGateway(rie.Backends{DynamoEndpoint: s.emu.DynamoEndpoint, SQSEndpoint: s.emu.SQSEndpoint,
			SSM: &rie.SSM{}, KMS: keys}, nil)
		if err != nil {
			r.close()
			return nil, err
		}
		r.gateways = append(r.gateways, gw)
		vars["AWS_REGION"], vars["AWS_DEFAULT_REGION"] = localaws.Region, localaws.Region
		vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"] = "local", "local"
		vars["AWS_ENDPOINT_URL"], vars["AWS_EC2_METADATA_DISABLED"] = gw.URL, "true"
		vars["AWS_CONFIG_FILE"], vars["AWS_SHARED_CREDENTIALS_FILE"] = os.DevNull, os.DevNull
		vars["AWS_LAMBDA_FUNCTION_NAME"] = s.prefix + "-" + id
		vars["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(f.Timeout)
		fn, err := rie.Start(ctx, bin, id, boot, vars, logWriter{s.opts.Log, id})
		if err != nil {
			r.close()
			return nil, err
		}
		r.functions[id] = fn
	}
	fmt.Fprintf(s.opts.Progress, "%d functions running under aws-lambda-rie\n", len(r.functions))
	return r, nil
}

// overlayNames are the variables the local overlay may set.
func overlayNames(e environment) []string {
	names := []string{"QBO_API_BASE", "QBO_AUTH_URL", "QBO_TOKEN_URL", "QBO_REVOKE_URL", "QBO_CLIENT_ID",
		"QBO_CLIENT_SECRET", "STATE_KEY", "PUBLIC_BASE_URL", "SEAL_LOCAL_KEY", "AUTH_LOCAL_KEY", "INTUIT_VERIFIER_TOKEN"}
	if e.throttleBackoff > 0 {
		names = append(names, "QBO_THROTTLE_BACKOFF")
	}
	if e.outboundRetryFirst > 0 {
		names = append(names, "OUTBOUND_RETRY_FIRST")
	}
	if e.livePerMinute > 0 {
		names = append(names, "LIVE_EVENTS_PER_MINUTE")
	}
	return names
}

func (r *rieRuntime) close() {
	for _, f := range r.functions {
		f.Close()
	}
	for _, g := range r.gateways {
		g.Close()
	}
	_ = os.RemoveAll(r.dir)
}

func (r *rieRuntime) http(id string) app.HTTPHandler {
	f := r.functions[id]
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		var resp events.APIGatewayV2HTTPResponse
		err := f.Invoke(ctx, ev, &resp)
		return resp, err
	}
}

func (r *rieRuntime) sqs(id string) app.SQSHandler {
	f := r.functions[id]
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		err := f.Invoke(ctx, ev, &resp)
		return resp, err
	}
}

func (r *rieRuntime) scheduler(id string) func(context.Context, events.EventBridgeEvent) error {
	f := r.functions[id]
	return func(ctx context.Context, ev events.EventBridgeEvent) error { return f.Invoke(ctx, ev, nil) }
}

// logWriter passes a function's output to the stack's log, line by line.
type logWriter struct {
	log      *slog.Logger
	function string
}

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			w.log.Info("function output", "function", w.function, "line", line)
		}
	}
	return len(p), nil
}
