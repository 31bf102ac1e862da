// Command scheduler runs hourly: it refreshes tokens nearing expiry and
// requeues what has not synced yet.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.Scheduler...)
	if err != nil {
		app.Exit("scheduler cold start", err)
	}
	lambda.Start(app.Scheduler(deps))
}
