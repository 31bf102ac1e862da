// Command oauth is the Lambda function behind the QuickBooks connection
// routes (POST /qbo/connect, GET /qbo/callback, GET /qbo/connection,
// POST /qbo/disconnect): it connects and disconnects a tenant's company.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.OAuth...)
	if err != nil {
		app.Exit("oauth cold start", err)
	}
	lambda.Start(app.OAuth(deps))
}
