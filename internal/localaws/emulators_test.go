package localaws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestStartReusesEndpointsFromEnvironment(t *testing.T) {
	t.Setenv(DynamoEndpointEnv, stack.Emulators.DynamoEndpoint+"/")
	t.Setenv(SQSEndpointEnv, stack.Emulators.SQSEndpoint)
	e, err := Start(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	if e.DynamoEndpoint != stack.Emulators.DynamoEndpoint || e.SQSEndpoint != stack.Emulators.SQSEndpoint {
		t.Errorf("endpoints %s, %s; want %s, %s", e.DynamoEndpoint, e.SQSEndpoint, stack.Emulators.DynamoEndpoint, stack.Emulators.SQSEndpoint)
	}
	// Close leaves emulators it did not start running.
	if _, err := stack.DynamoDB.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("DynamoDB after Close of reused emulators: %v", err)
	}
}

func TestStartExplainsMissingInstall(t *testing.T) {
	t.Setenv(DynamoEndpointEnv, "")
	t.Setenv(SQSEndpointEnv, "")
	_, err := Start(context.Background(), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "stack.sh install") {
		t.Errorf("Start without infra/local/node_modules: err = %v, want a hint to run stack.sh install", err)
	}
}

// Clients built from Config alone, as the functions' wiring builds them,
// reach the emulators.
func TestConfigRoutesClientsToEmulators(t *testing.T) {
	ctx := context.Background()
	if _, err := dynamodb.NewFromConfig(stack.Config).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("DynamoDB client from Config: %v", err)
	}
	if _, err := sqs.NewFromConfig(stack.Config).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Errorf("SQS client from Config: %v", err)
	}
}
