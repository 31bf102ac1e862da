// Command sync is the per-kind sync function: one binary, deployed once per
// kind (SYNC_KIND), each on its own SQS FIFO queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.Sync...)
	if err != nil {
		app.Exit("sync cold start", err)
	}
	lambda.Start(app.Sync(deps))
}
