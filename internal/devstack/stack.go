// Package devstack runs the whole product on this machine: DynamoDB Local
// and the SQS emulator with the table and queues of template.yaml, the QBO
// simulator, a gateway that serves the template's HTTP API routes by
// calling the functions' handlers with API Gateway v2 events, and pollers
// that feed the queues to the sync handler as Lambda's event source mapping
// does. `make dev` and the end-to-end tests run on it.
package devstack

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/config"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
	"github.com/qbosync/qbosync/internal/store"
)

const region = localaws.Region

// The OAuth client the stack's functions use with the QBO simulator.
const (
	SimClientID     = standalone.DefaultClientID
	SimClientSecret = standalone.DefaultClientSecret
)

// Options configure Start. The zero value is a stack on free loopback ports.
type Options struct {
	// Root is the repository root (template.yaml, infra/local); empty means
	// the directory holding go.mod above the working directory.
	Root string
	// GatewayAddr and QBOSimAddr are listen addresses; empty means
	// 127.0.0.1 on a free port.
	GatewayAddr string
	QBOSimAddr  string
	// EmulatorPorts are the loopback ports of the emulators Start starts
	// (zero: free ones); unused when Emulators or DDB_ENDPOINT/SQS_ENDPOINT
	// name running ones.
	EmulatorPorts localaws.Ports
	// Emulators are used instead of starting them (and not stopped by
	// Close, which then deletes the table and queues it created). Nil
	// means localaws.Start: those named by DDB_ENDPOINT/SQS_ENDPOINT, or
	// new ones.
	Emulators *localaws.Emulators
	// Prefix names the table and queues, like a stack name; empty means a
	// new random one, so stacks sharing emulators never collide.
	Prefix string
	// ThrottleBackoff shortens the realm's rest after a 429 (tests); zero
	// keeps the functions' default, Intuit's 60 s.
	ThrottleBackoff time.Duration
	// OutboundRetryFirst shortens the wait after an event delivery's
	// first failure (tests); zero keeps the default, 30 s.
	OutboundRetryFirst time.Duration
	// LiveEventsPerMinute lowers the webhook's live rate per tenant
	// (tests of the backfill lane); zero keeps the template's.
	LiveEventsPerMinute int
	// Timeouts replace the template's timeout of the functions they name
	// by logical id, in whole seconds (tests of what a function does at
	// its deadline, without waiting the deployed one).
	Timeouts map[string]time.Duration
	// Log receives the functions' and the gateway's logs; nil discards.
	Log *slog.Logger
	// EmulatorLog receives the emulators' output; nil discards.
	EmulatorLog io.Writer
	// Progress receives one line per start-up step; nil discards.
	Progress io.Writer
	// Runtime is RuntimeInProcess (the handlers in this process) or
	// RuntimeRIE (each function's bootstrap under aws-lambda-rie).
	Runtime string
}

// Stack is a running local stack. Its methods are safe for concurrent use.
type Stack struct {
	opts      Options
	prefix    string
	emu       *localaws.Emulators
	ownEmu    bool
	resources localaws.Resources
	ddb       *dynamodb.Client // uncounted: provisioning, Store
	sqs       *sqs.Client      // uncounted: Status, Drain
	outbound  *outbound.Store
	deps      app.Deps
	store     *store.Store
	counts    *counter
	sim       *simServer
	gateway   *http.Server
	gwURL     string
	scheduler func(context.Context) error
	sources   []*eventSource
	activity  *activity
	rie       *rieRuntime // the functions' bootstraps, with RuntimeRIE
	// tokens issues the admin and operator JWTs the functions accept.
	tokens *auth.Local
	// dynamoHung and sqsHung make the functions' requests to DynamoDB or
	// SQS go unanswered (HangDynamoDB, HangSQS).
	dynamoHung, sqsHung atomic.Bool
	// clock is the simulator's and the in-process functions' time (Advance).
	clock clock

	stopPolling, stopInvoking context.CancelFunc
	polling, invoking         sync.WaitGroup
	closeOnce                 sync.Once
}

// Start starts the stack. Close stops what it started, also when Start fails
// half-way (Start cleans up itself then).
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	s := &Stack{opts: opts, prefix: opts.Prefix, counts: newCounter(), activity: &activity{}}
	if s.prefix == "" {
		s.prefix = "dev-" + hex.EncodeToString(randomBytes(4))
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.opts.Root == "" {
		if s.opts.Root, err = localaws.RepoRoot(); err != nil {
			return nil, err
		}
	}
	tmpl, err := localaws.LoadTemplate(filepath.Join(s.opts.Root, localaws.TemplateFileName))
	if err != nil {
		return nil, err
	}
	awsCfg, err := s.startEmulators(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.provision(ctx, tmpl); err != nil {
		return nil, err
	}
	if err := s.startSim(); err != nil {
		return nil, err
	}
	gwListener, err := listen(opts.GatewayAddr)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	s.gwURL = "http://" + gwListener.Addr().String()
	if err := s.wire(ctx, tmpl, awsCfg); err != nil {
		gwListener.Close()
		return nil, err
	}
	s.serveGateway(gwListener)
	s.startPolling()
	return s, nil
}

func (s *Stack) step(format string, args ...any) func() {
	start := time.Now()
	fmt.Fprintf(s.opts.Progress, format+"… ", args...)
	return func() { fmt.Fprintf(s.opts.Progress, "ready in %.1fs\n", time.Since(start).Seconds()) }
}

func (s *Stack) startEmulators(ctx context.Context) (aws.Config, error) {
	s.emu = s.opts.Emulators
	if s.emu == nil {
		done := s.step("starting DynamoDB Local and the SQS emulator")
		emu, err := localaws.StartOn(ctx, s.opts.Root, s.opts.EmulatorLog, s.opts.EmulatorPorts)
		if err != nil {
			fmt.Fprintln(s.opts.Progress, "failed")
			return aws.Config{}, err
		}
		s.emu, s.ownEmu = emu, true
		done()
	}
	fmt.Fprintf(s.opts.Progress, "DynamoDB at %s, SQS at %s\n", s.emu.DynamoEndpoint, s.emu.SQSEndpoint)
	cfg, err := localaws.Config(ctx, s.emu)
	if err != nil {
		return aws.Config{}, err
	}
	s.ddb, s.sqs = localaws.DynamoClient(cfg, s.emu), localaws.SQSClient(cfg, s.emu)
	return cfg, nil
}

func (s *Stack) provision(ctx context.Context, tmpl *localaws.Template) error {
	done := s.step("creating table and queues from %s as %s", localaws.TemplateFileName, s.prefix)
	res, err := localaws.ProvisionTemplate(ctx, s.ddb, s.sqs, tmpl, s.prefix)
	if err != nil {
		fmt.Fprintln(s.opts.Progress, "failed")
		return err
	}
	s.resources = res
	done()
	return nil
}

// wire builds every function of the template as it is deployed: its
// configuration from its environment, its handler from internal/app.
func (s *Stack) wire(ctx context.Context, tmpl *localaws.Template, awsCfg aws.Config) error {
	fns, err := tmpl.Functions()
	if err != nil {
		return err
	}
	for id, t := range s.opts.Timeouts {
		f, ok := fns[id]
		if !ok || t < time.Second {
			return fmt.Errorf("timeout %s of function %q: no such function, or under a second", t, id)
		}
		f.Timeout = int(t / time.Second)
		fns[id] = f
	}
	ids := make([]string, 0, len(fns))
	for id := range fns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	env := environment{simURL: s.sim.url, gatewayURL: s.gwURL, stateKey: hex.EncodeToString(randomBytes(32)),
		sealKey: hex.EncodeToString(randomBytes(32)), authKey: hex.EncodeToString(randomBytes(32)),
		verifierToken: hex.EncodeToString(randomBytes(16)), throttleBackoff: s.opts.ThrottleBackoff,
		outboundRetryFirst: s.opts.OutboundRetryFirst, livePerMinute: s.opts.LiveEventsPerMinute}
	// The simulator's app delivers its webhooks to the gateway, as an
	// Intuit app's are configured to the deployed endpoint.
	if err := s.sim.sim.SetWebhooks(qbosim.WebhookConfig{Endpoint: s.gwURL + app.IntuitWebhookPath, VerifierToken: env.verifierToken}); err != nil {
		return err
	}
	authKey, _ := hex.DecodeString(env.authKey)
	s.tokens = auth.NewLocal(authKey)
	sealer, err := app.LocalSealer(env.sealKey)
	if err != nil {
		return err
	}
	s.store = store.New(s.ddb, s.resources.Table, nil).WithSealer(sealer)
	s.outbound = outbound.NewStore(s.ddb, s.resources.Table, s.sqs, s.resources.Physical[outboundQueue], nil).WithSealer(sealer)
	base := s.baseDeps(awsCfg)
	switch s.opts.Runtime {
	case RuntimeInProcess:
	case RuntimeRIE:
		if s.rie, err = s.startRIE(ctx, tmpl, fns, env); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown runtime %q: want %q or %q", s.opts.Runtime, RuntimeInProcess, RuntimeRIE)
	}
	pollSQS := localaws.SQSClient(counted(awsCfg, func(_ context.Context, op string) { s.counts.add(pollCounts, op) }, nil), s.emu)
	var rs []Route
	for _, id := range ids {
		f := fns[id]
		d := base
		if d.Config, err = functionConfig(f, s.resources, env); err != nil {
			return err
		}
		// Each function seals with its own data keys, as each Lambda
		// function caches its own after a cold start.
		if d.Sealer, err = app.LocalSealer(d.Config.SealLocalKey); err != nil {
			return fmt.Errorf("function %s: %w", id, err)
		}
		if id == ids[0] { // what tests build handlers from: every setting but a kind
			s.deps = d
			if s.deps.Config, err = config.FromEnv(env.overlay(s.resources.Env(f)),
				"table", "queues", "seal", "qbo", "state"); err != nil {
				return fmt.Errorf("function %s: %w", id, err)
			}
		}
		fr, err := routes(f, d)
		if err != nil {
			return err
		}
		srcs, err := eventSources(ctx, tmpl, f, d, s.resources, s.sqs)
		if err != nil {
			return err
		}
		for _, src := range srcs {
			src.sqs, src.log, src.activity = pollSQS, s.opts.Log, s.activity
		}
		if s.rie != nil { // the same events, to the bootstraps
			for i := range fr {
				fr[i].Handler = s.rie.http(id)
			}
			for _, src := range srcs {
				src.handler = s.rie.sqs(id)
			}
		}
		rs = append(rs, fr...)
		s.sources = append(s.sources, srcs...)
		if id == schedulerFunction {
			h := app.Scheduler(d)
			if s.rie != nil {
				h = s.rie.scheduler(id)
			}
			s.scheduler = scheduled(f, h, s.prefix)
		}
	}
	if s.scheduler == nil {
		return fmt.Errorf("template has no %s", schedulerFunction)
	}
	gw, err := NewGateway(rs, s.opts.Log, nil)
	if err != nil {
		return err
	}
	s.gateway = &http.Server{Handler: s.devRoutes(gw), ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// baseDeps are the clients every function shares; they count what they send.
func (s *Stack) baseDeps(awsCfg aws.Config) app.Deps {
	ddbCfg := counted(awsCfg, func(ctx context.Context, op string) {
		s.counts.add(dynamoCounts, op)
		s.counts.addFunction(functionOf(ctx), "dynamodb")
	}, s.dynamoHung.Load)
	ddbCfg = withCapacity(ddbCfg, func(ctx context.Context, label string, read, write float64, failed bool) {
		s.counts.addUnits(functionOf(ctx), label, read, write, failed)
	})
	sqsCfg := counted(awsCfg, func(ctx context.Context, op string) {
		s.counts.add(sqsCounts, op)
		s.counts.addFunction(functionOf(ctx), "sqs")
	}, s.sqsHung.Load)
	intuit := &http.Client{
		Timeout: 60 * time.Second,
		Transport: countingTransport{next: http.DefaultTransport, count: func(ctx context.Context, k string) {
			s.counts.add(qboCounts, k)
			s.counts.addFunction(functionOf(ctx), "qbo")
		}},
	}
	return app.Deps{
		DynamoDB: localaws.DynamoClient(ddbCfg, s.emu), SQS: localaws.SQSClient(sqsCfg, s.emu),
		HTTPClient: intuit, Log: s.opts.Log, Now: s.clock.Now,
	}
}

// counted returns a copy of cfg whose clients count each request with
// count, and leave it unanswered while hung reports true.
func counted(cfg aws.Config, count func(ctx context.Context, op string), hung func() bool) aws.Config {
	c := cfg.Copy()
	next := c.HTTPClient
	if next == nil {
		next = http.DefaultClient
	}
	c.HTTPClient = awsCounting{next: next, count: count, hung: hung}
	return c
}

// listen refuses any address but a loopback one: the gateway serves
// unsigned /_dev/ routes and qbosim issues tokens to whoever asks, so
// neither may be reachable from another machine.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen on %s: the local stack listens on loopback only (127.0.0.1:PORT)", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

func (s *Stack) serveGateway(l net.Listener) {
	go func() {
		if err := s.gateway.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Log.Error("gateway stopped", "err", err)
		}
	}()
	fmt.Fprintf(s.opts.Progress, "gateway listening on %s\n", s.gwURL)
}

func (s *Stack) startPolling() {
	pollCtx, stopPolling := context.WithCancel(context.Background())
	invokeCtx, stopInvoking := context.WithCancel(context.Background())
	s.stopPolling, s.stopInvoking = stopPolling, stopInvoking
	for _, src := range s.sources {
		s.polling.Add(1)
		go func() {
			defer s.polling.Done()
			src.run(pollCtx, invokeCtx, &s.invoking)
		}()
	}
	fmt.Fprintf(s.opts.Progress, "polling %d queues\n", len(s.sources))
}

// closeGrace is how long Close lets running requests and invocations finish
// before cancelling them.
const closeGrace = 5 * time.Second

// Close stops the gateway, the pollers (letting running invocations
// finish briefly), the simulator and the emulators Start started; on
// shared emulators it deletes the table and queues instead.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
		defer cancel()
		if s.gateway != nil {
			_ = s.gateway.Shutdown(ctx)
		}
		if s.stopPolling != nil {
			s.stopPolling()
			s.polling.Wait()
			waitOrCancel(ctx, &s.invoking, s.stopInvoking)
		}
		if s.rie != nil {
			s.rie.close()
		}
		if s.sim != nil {
			s.sim.close(ctx)
		}
		if s.emu != nil && s.ownEmu {
			s.emu.Close()
		} else if s.emu != nil && s.resources.Table != "" {
			dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
			defer dcancel()
			if err := localaws.Deprovision(dctx, s.ddb, s.sqs, s.resources); err != nil {
				s.opts.Log.Warn("remove local resources", "err", err)
			}
		}
	})
}

func waitOrCancel(ctx context.Context, wg *sync.WaitGroup, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		cancel()
		<-done
	}
	cancel()
}

// GatewayURL is the base URL of the API, like an HTTP API's invoke URL.
func (s *Stack) GatewayURL() string { return s.gwURL }

// QBOURL is the base URL of the QBO simulator (API and OAuth server).
func (s *Stack) QBOURL() string { return s.sim.url }

// Deps are the dependencies the functions are built from: counted AWS and
// Intuit clients and the configuration they share (sync functions add
// their SYNC_KIND).
func (s *Stack) Deps() app.Deps { return s.deps }

// Store reads and writes the stack's table; its requests are not counted.
func (s *Stack) Store() *store.Store { return s.store }

// outboundQueue is the logical id of the queue of deliveries to billing.
const outboundQueue = "OutboundQueue"

// Outbound is the stack's store of events to billing, as the functions
// record and deliver them.
func (s *Stack) Outbound() *outbound.Store { return s.outbound }

// Resources names the provisioned table and queues.
func (s *Stack) Resources() localaws.Resources { return s.resources }

// Counts returns the requests the functions sent since the last ResetCounts.
func (s *Stack) Counts() Counts { return s.counts.snapshot() }

// HangDynamoDB makes every DynamoDB request of the functions go unanswered
// until its context ends (on), or answered again (off). The Store the
// tests read through is not affected.
func (s *Stack) HangDynamoDB(on bool) { s.dynamoHung.Store(on) }

// HangSQS is HangDynamoDB for SQS.
func (s *Stack) HangSQS(on bool) { s.sqsHung.Store(on) }

// ResetCounts zeroes the counts.
func (s *Stack) ResetCounts() { s.counts.reset() }

// AdminToken returns a bearer token, valid for an hour, of an admin of
// tenant ("" for an id that is not a valid tenant, which every route refuses).
func (s *Stack) AdminToken(tenant string) string {
	tok, err := s.tokens.Issue(auth.Claims{Subject: "admin@" + tenant, Tenant: tenant, Role: auth.RoleAdmin,
		Expires: time.Now().Add(time.Hour)})
	if err != nil {
		return ""
	}
	return tok
}

// OperatorToken returns a bearer token, valid for an hour, of an operator.
func (s *Stack) OperatorToken() string {
	tok, err := s.tokens.Issue(auth.Claims{Subject: "operator", Role: auth.RoleOperator, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		return "" // cannot happen: the claims are valid
	}
	return tok
}

// RunScheduler invokes the scheduler function once, as its hourly rule would.
func (s *Stack) RunScheduler(ctx context.Context) error { return s.scheduler(ctx) }
