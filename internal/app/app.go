// Package app builds the service's Lambda handlers from their
// dependencies. The functions' main packages and the local dev stack both
// use it, so what runs locally is wired exactly as what runs on AWS.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/config"
	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/scheduler"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/syncer"
	"github.com/qbosync/qbosync/internal/webhook"
)

// Deps are the clients and settings every handler is built from.
type Deps struct {
	DynamoDB store.DB
	SQS      queue.Sender
	Config   config.Config
	// HTTPClient carries calls to Intuit (tokens and the Accounting API).
	HTTPClient *http.Client
	Log        *slog.Logger
	Now        func() time.Time
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

func (d Deps) store() *store.Store { return store.New(d.DynamoDB, d.Config.Table, d.Now) }

func (d Deps) publisher() *queue.Publisher { return queue.NewPublisher(d.SQS, d.Config.QueueURLs) }

func (d Deps) connector() *qboauth.Connector {
	redirect := ""
	if d.Config.PublicBaseURL != "" {
		redirect = d.Config.PublicBaseURL + "/qbo/callback"
	}
	return qboauth.New(qboauth.Config{
		ClientID: d.Config.QBOClientID, ClientSecret: d.Config.ClientSecret,
		AuthURL: d.Config.QBOAuthURL, TokenURL: d.Config.QBOTokenURL, RedirectURL: redirect,
		StateKey: []byte(d.Config.StateKey), HTTPClient: d.HTTPClient, Now: d.Now,
	}, d.store())
}

// Webhook builds the billing webhook handler.
func Webhook(d Deps) HTTPHandler {
	st := d.store()
	h := webhook.New(webhook.Deps{Secrets: st, Store: st, Queue: d.publisher(), Now: d.now(), Log: d.Log})
	return h.Handle
}

// OAuth builds the QBO connect / callback handler.
func OAuth(d Deps) HTTPHandler {
	return qboauth.NewHandler(d.connector(), d.Log).Handle
}

// Engine builds the sync engine.
func Engine(d Deps) *syncer.Engine {
	return syncer.New(syncer.Config{
		Store: d.store(), Tokens: d.connector(), Queue: d.publisher(),
		QBOBaseURL: d.Config.QBOAPIBase, HTTPClient: d.HTTPClient, Log: d.Log, Now: d.Now,
		ThrottleBackoff: d.Config.ThrottleBackoff,
	})
}

// Sync builds the handler of the per-kind sync functions. Messages carry
// their kind, so one handler serves every queue.
func Sync(d Deps) SQSHandler {
	return queue.FIFOHandler(Engine(d).Handle, d.Log)
}

// Scheduler builds the hourly scheduler handler.
func Scheduler(d Deps) func(context.Context, events.EventBridgeEvent) error {
	s := scheduler.New(d.store(), d.connector(), d.publisher(), d.Now, d.Log)
	return func(ctx context.Context, _ events.EventBridgeEvent) error {
		_, err := s.Run(ctx)
		return err
	}
}

// Admin builds the admin handler. The admin page and API are not served
// yet: every route answers 501 so nothing unauthenticated is exposed.
func Admin(d Deps) HTTPHandler {
	return func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 501,
			Headers: map[string]string{"Content-Type": "application/json"},
			Body:    `{"error":"not_implemented","message":"the admin API is not available in this version"}`}, nil
	}
}
