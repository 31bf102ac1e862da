// Command outbound delivers events to the tenants' billing systems.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.Outbound...)
	if err != nil {
		app.Exit("outbound cold start", err)
	}
	lambda.Start(app.Outbound(deps))
}
