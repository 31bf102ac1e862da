package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/config"
)

var stack *Stack

func TestMain(m *testing.M) {
	s, err := StartStack(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stack = s
	os.Exit(s.Run(m))
}

func TestProvisionCreatesTableFromTemplate(t *testing.T) {
	_, _, r := stack.ForTest(t)
	ctx := context.Background()
	d, err := stack.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &r.Table})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ks []dbtypes.KeySchemaElement) []string {
		var out []string
		for _, k := range ks {
			out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
		}
		return out
	}
	if d := cmp.Diff([]string{PartitionKey + " HASH", SortKey + " RANGE"}, keys(d.Table.KeySchema)); d != "" {
		t.Errorf("key schema (-want +got):\n%s", d)
	}
	if n := len(d.Table.GlobalSecondaryIndexes); n != 1 {
		t.Fatalf("%d indexes, want 1", n)
	}
	gsi := d.Table.GlobalSecondaryIndexes[0]
	if aws.ToString(gsi.IndexName) != StatusIndex || gsi.Projection.ProjectionType != dbtypes.ProjectionTypeAll {
		t.Errorf("index %s projection %s, want %s ALL", aws.ToString(gsi.IndexName), gsi.Projection.ProjectionType, StatusIndex)
	}
	if d := cmp.Diff([]string{StatusIndexPK + " HASH", StatusIndexSK + " RANGE"}, keys(gsi.KeySchema)); d != "" {
		t.Errorf("index key schema (-want +got):\n%s", d)
	}
	ttl, err := stack.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &r.Table})
	if err != nil {
		t.Fatal(err)
	}
	if got := ttl.TimeToLiveDescription; aws.ToString(got.AttributeName) != TTLAttribute || got.TimeToLiveStatus != dbtypes.TimeToLiveStatusEnabled {
		t.Errorf("TTL on %q is %s, want enabled on %s", aws.ToString(got.AttributeName), got.TimeToLiveStatus, TTLAttribute)
	}
}

func TestProvisionedTableTakesConditionalWritesAndIndexQueries(t *testing.T) {
	_, _, r := stack.ForTest(t)
	ctx := context.Background()
	item := map[string]dbtypes.AttributeValue{
		PartitionKey:  &dbtypes.AttributeValueMemberS{Value: "tenant#t1"},
		SortKey:       &dbtypes.AttributeValueMemberS{Value: "invoice#in_1"},
		StatusIndexPK: &dbtypes.AttributeValueMemberS{Value: "t1#waiting"},
		StatusIndexSK: &dbtypes.AttributeValueMemberS{Value: "invoice#in_1"},
	}
	put := &dynamodb.PutItemInput{TableName: &r.Table, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if _, err := stack.DynamoDB.PutItem(ctx, put); err != nil {
		t.Fatalf("first put: %v", err)
	}
	var failed *dbtypes.ConditionalCheckFailedException
	if _, err := stack.DynamoDB.PutItem(ctx, put); !errors.As(err, &failed) {
		t.Fatalf("second put: err = %v, want ConditionalCheckFailedException", err)
	}
	out, err := stack.DynamoDB.Query(ctx, &dynamodb.QueryInput{
		TableName: &r.Table, IndexName: aws.String(StatusIndex),
		KeyConditionExpression:    aws.String("gsi1pk = :s"),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":s": &dbtypes.AttributeValueMemberS{Value: "t1#waiting"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("status index returned %d items, want 1", len(out.Items))
	}
	if sk := out.Items[0][SortKey].(*dbtypes.AttributeValueMemberS).Value; sk != "invoice#in_1" {
		t.Errorf("status index item sk = %q, want invoice#in_1", sk)
	}
}

func TestProvisionCreatesQueuesFromTemplate(t *testing.T) {
	_, _, r := stack.ForTest(t)
	ctx := context.Background()
	for _, k := range billing.Kinds {
		spec, err := stack.template.Queue(QueueLogicalID(k))
		if err != nil {
			t.Fatal(err)
		}
		q := queueAttributes(t, r.Queues[k])
		dlq := queueAttributes(t, r.DLQs[k])
		if q["FifoQueue"] != "true" || dlq["FifoQueue"] != "true" {
			t.Errorf("%s: FifoQueue queue %q dead-letter %q, want true", k, q["FifoQueue"], dlq["FifoQueue"])
		}
		if want := strconv.Itoa(*spec.VisibilityTimeout); q["VisibilityTimeout"] != want {
			t.Errorf("%s: VisibilityTimeout %q, want %s", k, q["VisibilityTimeout"], want)
		}
		var redrive struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     json.Number
		}
		if err := json.Unmarshal([]byte(q["RedrivePolicy"]), &redrive); err != nil {
			t.Fatalf("%s: RedrivePolicy %q: %v", k, q["RedrivePolicy"], err)
		}
		if redrive.DeadLetterTargetArn != dlq["QueueArn"] || redrive.MaxReceiveCount.String() != strconv.Itoa(DLQMaxReceives) {
			t.Errorf("%s: redrive %+v, want %s after %d receives", k, redrive, dlq["QueueArn"], DLQMaxReceives)
		}
	}
	again, err := ProvisionTemplate(ctx, stack.DynamoDB, stack.SQS, stack.template, prefixOf(t, r))
	if err != nil {
		t.Fatalf("provisioning again: %v", err)
	}
	if d := cmp.Diff(r, again); d != "" {
		t.Errorf("provisioning again changed the resources (-first +second):\n%s", d)
	}
}

// prefixOf recovers the prefix ForTest chose from the table name.
func prefixOf(t *testing.T, r Resources) string {
	t.Helper()
	p, ok := strings.CutSuffix(r.Table, "-"+TableLogicalID)
	if !ok {
		t.Fatalf("table %q is not <prefix>-%s", r.Table, TableLogicalID)
	}
	return p
}

func queueAttributes(t *testing.T, url string) map[string]string {
	t.Helper()
	out, err := stack.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("attributes of %s: %v", url, err)
	}
	return out.Attributes
}

func send(t *testing.T, url, group, dedup, body string) {
	t.Helper()
	_, err := stack.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: &url, MessageBody: &body, MessageGroupId: &group, MessageDeduplicationId: &dedup,
	})
	if err != nil {
		t.Fatalf("send %s: %v", body, err)
	}
}

// drain receives and deletes until the queue is empty, returning the bodies in order.
func drain(t *testing.T, url string) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := stack.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := stack.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestProvisionedQueueKeepsGroupOrderAndDropsDuplicates(t *testing.T) {
	_, _, r := stack.ForTest(t)
	url := r.Queues[billing.KindInvoice]
	send(t, url, "t1#cus_1", "v1", "invoice v1")
	send(t, url, "t1#cus_1", "v2", "invoice v2")
	send(t, url, "t1#cus_1", "v1", "invoice v1 again") // same deduplication id: dropped
	send(t, url, "t1#cus_1", "v3", "invoice v3")
	if d := cmp.Diff([]string{"invoice v1", "invoice v2", "invoice v3"}, drain(t, url)); d != "" {
		t.Errorf("received (-want +got):\n%s", d)
	}
}

func TestProvisionedQueueRedrivesToDeadLetterQueue(t *testing.T) {
	_, _, r := stack.ForTest(t)
	url, dlq := r.Queues[billing.KindPayment], r.DLQs[billing.KindPayment]
	send(t, url, "t1#cus_1", "p1", "payment p1")
	ctx := context.Background()
	receives := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		out, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 && receives >= DLQMaxReceives {
			break
		}
		// A failed attempt: the message goes back without being deleted.
		for _, m := range out.Messages {
			receives++
			_, err := stack.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if receives != DLQMaxReceives {
		t.Errorf("message was received %d times, want %d before redrive", receives, DLQMaxReceives)
	}
	if d := cmp.Diff([]string{"payment p1"}, drain(t, dlq)); d != "" {
		t.Errorf("dead-letter queue (-want +got):\n%s", d)
	}
}

func TestDeprovisionRemovesEverything(t *testing.T) {
	ctx := context.Background()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Provision(ctx, stack.DynamoDB, stack.SQS, filepath.Join(root, TemplateFileName), "deprovision-"+stack.run)
	if err != nil {
		t.Fatal(err)
	}
	if err := Deprovision(ctx, stack.DynamoDB, stack.SQS, r); err != nil {
		t.Fatal(err)
	}
	var missing *dbtypes.ResourceNotFoundException
	if _, err := stack.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &r.Table}); !errors.As(err, &missing) {
		t.Errorf("describe deleted table: err = %v, want ResourceNotFoundException", err)
	}
	for _, url := range r.DLQs {
		if _, err := stack.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url}); err == nil {
			t.Errorf("queue %s still answers after Deprovision", url)
		}
	}
	if err := Deprovision(ctx, stack.DynamoDB, stack.SQS, r); err != nil {
		t.Errorf("second Deprovision: %v", err)
	}
}

func TestEnvResolvesFunctionEnvironmentLocally(t *testing.T) {
	_, _, r := stack.ForTest(t)
	fns, err := stack.template.Functions()
	if err != nil {
		t.Fatal(err)
	}
	env := r.Env(fns[SyncFunctionLogicalID(billing.KindInvoice)])
	want := map[string]string{TableNameEnv: r.Table, SyncKindEnv: "invoice"}
	for _, k := range billing.Kinds {
		want[config.QueueEnv(k)] = r.Queues[k]
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if v, ok := env["QBO_CLIENT_ID"]; ok {
		t.Errorf("QBO_CLIENT_ID = %q; a deployment parameter has no local value", v)
	}
}
