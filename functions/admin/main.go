// Command admin serves the admin page and JSON API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/config"
)

func main() {
	deps, err := app.FromAWS(context.Background(), config.Admin...)
	if err != nil {
		app.Exit("admin cold start", err)
	}
	lambda.Start(app.Admin(deps))
}
