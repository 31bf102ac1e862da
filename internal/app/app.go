// Package app builds the service's Lambda handlers from their
// dependencies. The functions' main packages and the local dev stack both
// use it, so what runs locally is wired exactly as what runs on AWS.
package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	adminpage "github.com/qbosync/qbosync/internal/admin"
	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/config"
	"github.com/qbosync/qbosync/internal/intuit"
	"github.com/qbosync/qbosync/internal/metrics"
	"github.com/qbosync/qbosync/internal/operator"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/qbopayment"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/readiness"
	"github.com/qbosync/qbosync/internal/reconcile"
	"github.com/qbosync/qbosync/internal/scheduler"
	"github.com/qbosync/qbosync/internal/seal"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/syncer"
	"github.com/qbosync/qbosync/internal/throttle"
	"github.com/qbosync/qbosync/internal/webhook"
)

// Deps are the clients and settings every handler is built from.
type Deps struct {
	DynamoDB store.DB
	SQS      queue.Client
	Config   config.Config
	// HTTPClient carries calls to Intuit (tokens and the Accounting API).
	HTTPClient *http.Client
	// Sealer encrypts OAuth tokens and webhook secrets at rest; built once
	// per cold start so its data keys are cached. Nil: built from
	// Config.SealLocalKey when set, otherwise secrets cannot be stored.
	Sealer *seal.Sealer
	Log    *slog.Logger
	Now    func() time.Time
	// Metrics receives CloudWatch EMF lines (sync outcomes, latency,
	// QuickBooks requests); nil emits none. FunctionName dimensions them.
	Metrics      *metrics.Writer
	FunctionName string
}

// HTTPHandler is an API Gateway HTTP API (payload v2) handler.
type HTTPHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// SQSHandler is an SQS batch handler with partial batch responses.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

func (d Deps) now() func() time.Time {
	if d.Now == nil {
		return time.Now
	}
	return d.Now
}

func (d Deps) store() *store.Store {
	st := store.New(d.DynamoDB, d.Config.Table, d.Now)
	if sl := d.sealer(); sl != nil {
		st = st.WithSealer(sl)
	}
	return st
}

func (d Deps) sealer() *seal.Sealer {
	if d.Sealer != nil {
		return d.Sealer
	}
	sl, err := LocalSealer(d.Config.SealLocalKey)
	if err != nil {
		return nil
	}
	return sl
}

// LocalSealer returns a Sealer whose data keys are wrapped by hexKey (32
// bytes in hex), the local stack's stand-in for KMS.
func LocalSealer(hexKey string) (*seal.Sealer, error) {
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		return nil, fmt.Errorf("local seal key: %w", err)
	}
	keys, err := seal.NewLocalKeys(key)
	if err != nil {
		return nil, err
	}
	return seal.New(keys), nil
}

// Verifier checks admin and operator bearer tokens where no API Gateway
// authorizer did: the local stack's HS256 key (AUTH_LOCAL_KEY). On AWS it
// is nil and auth.FromRequest reads the authorizer's verified claims only.
func (d Deps) Verifier() auth.Verifier {
	if d.Config.AuthLocalKey == "" {
		return nil
	}
	key, err := hex.DecodeString(d.Config.AuthLocalKey)
	if err != nil || len(key) < 32 {
		return nil
	}
	l := auth.NewLocal(key)
	l.Now = d.Now
	return l
}

// publisher sends each message in the lane its group holds (the group
// lane items in the table).
func (d Deps) publisher() *queue.Publisher {
	return d.lanePublisher().WithGroupLanes(d.store())
}

// lanePublisher sends each message in the lane it names, for the resume
// function, which has no table: a deferral holds its group's lane until
// the message is due and a window after, so the lane it names is still
// its group's when it resumes, and a sync moves it otherwise.
func (d Deps) lanePublisher() *queue.Publisher {
	return queue.NewPublisher(d.SQS, d.Config.QueueURLs, d.Config.DeferQueueURL, d.Now).WithBackfill(d.Config.BackfillQueueURLs)
}

// Connector builds what keeps a tenant's QBO tokens fresh, as every
// function that calls QuickBooks does at its cold start.
func Connector(d Deps) *qboauth.Connector { return d.connector() }

func (d Deps) connector() *qboauth.Connector {
	redirect := ""
	if d.Config.PublicBaseURL != "" {
		redirect = d.Config.PublicBaseURL + "/qbo/callback"
	}
	return qboauth.New(qboauth.Config{
		ClientID: d.Config.QBOClientID, ClientSecret: d.Config.ClientSecret,
		AuthURL: d.Config.QBOAuthURL, TokenURL: d.Config.QBOTokenURL, RevokeURL: d.Config.QBORevokeURL,
		RedirectURL: redirect, StateKey: []byte(d.Config.StateKey), HTTPClient: d.HTTPClient, Now: d.Now, Log: d.Log,
		CheckGrant: d.checkGrant,
	}, d.store(), d.publisher())
}

// checkGrant reads the company's CompanyInfo with a new access token: QBO
// answers only for the company the grant was issued for.
func (d Deps) checkGrant(ctx context.Context, realmID, accessToken string) error {
	client, tr := d.accountingClient()
	defer tr.Flush(context.WithoutCancel(ctx))
	api := qbo.New(qbo.WithToken(client, accessToken), d.Config.QBOAPIBase)
	_, err := api.CompanyInfo(ctx, realmID)
	var qe *qbo.Error
	if errors.As(err, &qe) && (qe.Status == http.StatusUnauthorized || qe.Status == http.StatusForbidden) {
		return fmt.Errorf("%w: %w", qboauth.ErrGrantRefused, err)
	}
	return err
}

// accountingClient carries Accounting API calls: every function's calls
// to a company are admitted against its shared schedule. The transport is
// returned too, so the handler releases its slots when an invocation
// ends.
func (d Deps) accountingClient() (*http.Client, *throttle.Transport) {
	var base http.RoundTripper = d.HTTPClient.Transport
	if d.Metrics != nil {
		base = countedTransport{base: base, m: d.Metrics, function: d.FunctionName}
	}
	tr := &throttle.Transport{Base: base, Realms: d.store(), Backoff: d.Config.ThrottleBackoff, Now: d.Now}
	return &http.Client{Timeout: d.HTTPClient.Timeout, Transport: tr}, tr
}

func (d Deps) readiness() (*readiness.Checker, *throttle.Transport) {
	client, tr := d.accountingClient()
	return readiness.New(d.store(), d.Config.QBOAPIBase, client, d.Now), tr
}

// flushing releases tr's idle slots after every invocation of h: a frozen
// function instance holds none.
func flushing[E, R any](h func(context.Context, E) (R, error), trs ...*throttle.Transport) func(context.Context, E) (R, error) {
	return func(ctx context.Context, ev E) (R, error) {
		defer func() {
			for _, tr := range trs {
				tr.Flush(context.WithoutCancel(ctx))
			}
		}()
		return h(ctx, ev)
	}
}

// IntuitWebhookPath is the route of Intuit's webhooks, served by the
// webhook function beside billing's.
const IntuitWebhookPath = "/v1/intuit/webhooks"

// Webhook builds the webhook function's handler: billing's webhooks, and
// Intuit's notifications of changes in QuickBooks.
func Webhook(d Deps) HTTPHandler {
	st := d.store()
	lanes := &queue.Lanes{Counter: st, LivePerMinute: d.Config.LiveEventsPerMinute, BackfillAge: d.Config.BackfillAge,
		Now: d.now(), Log: d.Log}
	h := webhook.New(webhook.Deps{Secrets: st, Store: st, Queue: d.publisher(), Lanes: lanes, Tenants: st, Now: d.now(), Log: d.Log})
	in := &intuit.Handler{VerifierToken: d.Config.IntuitVerifierToken, Store: st, Queue: d.publisher(), Now: d.Now, Log: d.Log}
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		// The route key names the route whatever the stage prefixes to
		// the path.
		if req.RouteKey == "POST "+IntuitWebhookPath || req.RouteKey == "" && req.RawPath == IntuitWebhookPath {
			return in.Handle(ctx, req)
		}
		return h.Handle(ctx, req)
	}
}

// paymentImporter sends payments recorded in QuickBooks to billing,
// reading them through client (the accounting client of the company's
// schedule).
func (d Deps) paymentImporter(client *http.Client) *qbopayment.Importer {
	return &qbopayment.Importer{Store: d.store(), Tokens: d.connector(), Outbound: d.outbound(), Paid: d.outbound(),
		QBOBaseURL: d.Config.QBOAPIBase, HTTPClient: client, Now: d.Now, Log: d.Log}
}

// OAuth builds the handler of the QBO connection routes (connect,
// callback, status, disconnect).
func OAuth(d Deps) HTTPHandler {
	rd, tr := d.readiness()
	return flushing(qboauth.NewHandler(qboauth.HandlerDeps{Connector: d.connector(), Store: d.store(),
		Readiness: rd, Verifier: d.Verifier(), Log: d.Log}).Handle, tr)
}

// syncMaxWait is how long a sync waits in process for admission before it
// takes a seat in one of the company's bunches (or is deferred).
const syncMaxWait = 3 * time.Second

// Engine builds the sync engine, the batcher that sends its concurrent
// QuickBooks writes together and the transport that admits its calls.
func Engine(d Deps) (*syncer.Engine, *qbobatch.Batcher, *throttle.Transport) {
	var st syncer.Store = d.store()
	if d.Metrics != nil {
		st = &observedStore{Store: d.store(), m: d.Metrics, now: d.now(), received: map[snapshotKey]time.Time{}}
	}
	client, tr := d.accountingClient()
	// Waiting in process for the company's schedule is cheaper than a
	// deferral, which reads the entity's state again.
	tr.MaxWait = syncMaxWait
	batcher := &qbobatch.Batcher{Base: client.Transport, Journal: d.store()}
	client.Transport = batcher
	return syncer.New(syncer.Config{
		Store: st, Tokens: d.connector(), Queue: d.publisher(),
		QBOBaseURL: d.Config.QBOAPIBase, HTTPClient: client, Log: d.Log, Now: d.Now,
		ThrottleBackoff: d.Config.ThrottleBackoff, Bunches: d.store(),
		BunchRound: func() syncer.Joiner { return batcher.Bunch() },
	}), batcher, tr
}

// Sync builds the handler of the per-kind sync functions. Messages carry
// their kind, so one handler serves every queue; a batch's message groups
// sync concurrently and their creates to one company go out as one
// QuickBooks batch (one invocation's groups only, as on Lambda), recorded
// so that a create whose answer is lost is retried as that same batch.
//
// A message naming a payment recorded in QuickBooks (queued by Intuit's
// webhook, on the payment queue) is an import instead.
func Sync(d Deps) SQSHandler {
	e, batcher, tr := Engine(d)
	client, itr := d.accountingClient()
	itr.MaxWait = syncMaxWait
	im, pub := d.paymentImporter(client), d.publisher()
	handle := func(ctx context.Context, m queue.Message) error {
		if m.Imports() {
			return im.Handle(ctx, pub, m)
		}
		if m.Bunch != 0 {
			return e.HandleBunch(ctx, m)
		}
		return e.Handle(ctx, m)
	}
	round := func() queue.Joiner { return batcher.Round() }
	return flushing(queue.FIFOHandler(pub.InGroupLane(handle, d.Log), round, d.Log), tr, itr)
}

// Resume builds the handler of the defer queue: syncs whose wait is over
// go back to their kind's queue.
func Resume(d Deps) SQSHandler {
	return queue.ResumeHandler(d.lanePublisher(), d.Now, d.Log)
}

// Scheduler builds the hourly scheduler handler.
func Scheduler(d Deps) func(context.Context, events.EventBridgeEvent) error {
	rd, tr := d.readiness()
	rcClient, rcTr := d.accountingClient()
	rc := d.reconciler(rcClient)
	im := d.importer(rcClient)
	s := scheduler.New(d.store(), d.connector(), d.publisher(), rd, d.Now, d.Log)
	payments := d.paymentImporter(rcClient)
	return func(ctx context.Context, _ events.EventBridgeEvent) error {
		defer tr.Flush(context.WithoutCancel(ctx))
		defer rcTr.Flush(context.WithoutCancel(ctx))
		_, err := s.Run(ctx)
		// A reconciliation or sweep that failed is logged per tenant and
		// tried again next hour; it must not make the token pass look
		// failed.
		_ = rc.RunAll(ctx)
		_ = payments.SweepAll(ctx)
		// Likewise the customer import of tenants connected since the last pass.
		_ = im.RunDue(ctx, d.store(), d.Log)
		return err
	}
}

// reconciler compares billing with QuickBooks through client, the
// accounting client whose calls share the company's request budget.
func (d Deps) reconciler(client *http.Client) *reconcile.Reconciler {
	r := &reconcile.Reconciler{Store: d.store(), Tokens: d.connector(), QBOBaseURL: d.Config.QBOAPIBase,
		HTTPClient: client, Now: d.Now, Log: d.Log}
	if d.Config.OutboundQueueURL != "" {
		r.Paid = d.outbound()
	}
	return r
}

// Admin builds the admin function's handler: the operator API under
// /api/v1/operator/, the admin page and API for everything else.
func Admin(d Deps) HTTPHandler {
	dead := queue.NewDeadLetters(d.SQS, d.Config.DLQURLs, d.Config.DeferDLQURL, d.publisher(), d.Now)
	op := operator.New(d.store(), d.Verifier(), d.Log).WithDeadLetters(dead).Handle
	verifier := d.Verifier()
	client, tr := d.accountingClient()
	admin := adminpage.New(adminpage.Config{
		Store: d.store(), Queue: d.publisher(), Tokens: d.connector(), DeadLetters: dead,
		Authenticate: func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (auth.Claims, error) {
			return auth.FromRequest(ctx, req, verifier)
		},
		QBOBaseURL: d.Config.QBOAPIBase, QBOAppURL: adminpage.AppURL(d.Config.QBOAPIBase),
		HTTPClient: client, Reconciler: d.reconciler(client), Outbound: d.outbound(), Importer: d.importer(client),
		Log: d.Log, Now: d.Now,
	}).Handle
	return flushing(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if strings.HasPrefix(req.RawPath, operator.Prefix) {
			return op(ctx, req)
		}
		return admin(ctx, req)
	}, tr)
}
