package localaws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Region is where the emulators pretend to run.
const Region = "us-east-1"

// Config returns an AWS configuration for the emulators: static dummy
// credentials and Region, ignoring the machine's shared AWS files so a
// developer's profile can never point tests at a real account. Clients
// built from it with NewFromConfig reach the emulators, and every other
// service a closed local port; DynamoClient and SQSClient also set the
// options the emulators need.
func Config(ctx context.Context, e *Emulators) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config for emulators at %s and %s: %w", e.DynamoEndpoint, e.SQSEndpoint, err)
	}
	cfg.ConfigSources = append([]any{endpoints{dynamo: e.DynamoEndpoint, sqs: e.SQSEndpoint}}, cfg.ConfigSources...)
	return cfg, nil
}

// unreachable is a loopback port nothing listens on (discard), so a
// service without an emulator fails fast instead of calling AWS.
const unreachable = "http://127.0.0.1:9"

// endpoints is a configuration source the SDK's clients consult for their
// base endpoint (the same hook as AWS_ENDPOINT_URL_<SERVICE>).
type endpoints struct{ dynamo, sqs string }

func (ep endpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	switch sdkID {
	case dynamodb.ServiceID:
		return ep.dynamo, true, nil
	case sqs.ServiceID:
		return ep.sqs, true, nil
	}
	return unreachable, true, nil
}

// DynamoClient returns a DynamoDB client for DynamoDB Local.
func DynamoClient(cfg aws.Config, e *Emulators) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(e.DynamoEndpoint)
		// DynamoDB Local's error responses carry no CRC32 header; AWS's do.
		o.DisableValidateResponseChecksum = true
	})
}

// SQSClient returns an SQS client for the SQS emulator.
func SQSClient(cfg aws.Config, e *Emulators) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(e.SQSEndpoint)
	})
}
