// Command resume drains the defer queue: syncs whose wait is over go back
// to their kind's FIFO queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.Resume...)
	if err != nil {
		app.Exit("resume cold start", err)
	}
	lambda.Start(app.Resume(deps))
}
