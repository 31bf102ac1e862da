// Command webhook is the Lambda function behind POST /v1/webhooks/{tenant}:
// it verifies, stores and queues billing events.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.Webhook...)
	if err != nil {
		app.Exit("webhook cold start", err)
	}
	lambda.Start(app.Webhook(deps))
}
