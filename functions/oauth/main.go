// Command oauth is the Lambda function behind GET /qbo/connect and
// GET /qbo/callback: it connects a tenant's QuickBooks company.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
)

func main() {
	deps, err := app.FromAWS(context.Background(), "table", "queues", "qbo")
	if err != nil {
		app.Exit("oauth cold start", err)
	}
	lambda.Start(app.OAuth(deps))
}
