package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// Resources are the names a Provision created.
type Resources struct {
	Table  string                  // table name
	Queues map[billing.Kind]string // queue URL per kind
	// Backfill is the backfill queue URL per kind.
	Backfill map[billing.Kind]string
	DLQs     map[billing.Kind]string // dead-letter queue URL per kind
	// Physical maps every provisioned logical id to its table name or
	// queue URL.
	Physical map[string]string
}

// Env returns f's environment as a local run sees it: literals as written
// and !Ref of provisioned resources as their local names; values that need
// a deployment (parameters, the KMS key, mappings) are left out.
func (r Resources) Env(f Function) map[string]string {
	env := map[string]string{}
	for k, v := range f.Environment {
		if lit, ok := v.Literal(); ok {
			env[k] = lit
		} else if ref, ok := v.Ref(); ok && r.Physical[ref] != "" {
			env[k] = r.Physical[ref]
		}
	}
	return env
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,48}$`)

// Provision creates the template's tables and queues on the emulators,
// named as a stack called prefix would name them (QueueName
// !Sub ${AWS::StackName}-invoice.fifo becomes <prefix>-invoice.fifo; an
// unnamed table becomes <prefix>-Table). It is idempotent: what exists is
// kept. Every kind must have its queue and dead-letter queue.
func Provision(ctx context.Context, ddb *dynamodb.Client, sq *sqs.Client, templatePath, prefix string) (Resources, error) {
	t, err := LoadTemplate(templatePath)
	if err != nil {
		return Resources{}, err
	}
	return ProvisionTemplate(ctx, ddb, sq, t, prefix)
}

// ProvisionTemplate is Provision for a parsed template.
func ProvisionTemplate(ctx context.Context, ddb *dynamodb.Client, sq *sqs.Client, t *Template, prefix string) (Resources, error) {
	if !prefixPattern.MatchString(prefix) {
		return Resources{}, fmt.Errorf("provision: prefix %q: want 1-48 letters, digits, '-' or '_'", prefix)
	}
	r := Resources{Queues: map[billing.Kind]string{}, Backfill: map[billing.Kind]string{}, DLQs: map[billing.Kind]string{},
		Physical: map[string]string{}}
	for _, id := range t.LogicalIDs(TypeTable) {
		name, err := createTable(ctx, ddb, t, id, prefix)
		if err != nil {
			return Resources{}, err
		}
		r.Physical[id] = name
	}
	qs := queueMaker{ctx: ctx, sqs: sq, t: t, prefix: prefix, urls: r.Physical, busy: map[string]bool{}}
	for _, id := range t.LogicalIDs(TypeQueue) {
		if _, err := qs.create(id); err != nil {
			return Resources{}, err
		}
	}
	r.Table = r.Physical[TableLogicalID]
	if r.Table == "" {
		return Resources{}, fmt.Errorf("provision: template has no table %s", TableLogicalID)
	}
	for _, k := range billing.Kinds {
		r.Queues[k], r.DLQs[k] = r.Physical[QueueLogicalID(k)], r.Physical[DLQLogicalID(k)]
		r.Backfill[k] = r.Physical[BackfillQueueLogicalID(k)]
		if r.Queues[k] == "" || r.DLQs[k] == "" || r.Backfill[k] == "" {
			return Resources{}, fmt.Errorf("provision: template lacks %s, %s or %s for kind %s",
				QueueLogicalID(k), BackfillQueueLogicalID(k), DLQLogicalID(k), k)
		}
	}
	return r, nil
}

func createTable(ctx context.Context, ddb *dynamodb.Client, t *Template, id, prefix string) (string, error) {
	s, err := t.Table(id)
	if err != nil {
		return "", fmt.Errorf("provision: %w", err)
	}
	name, err := physicalName(id, s.TableName, prefix)
	if err != nil {
		return "", fmt.Errorf("provision: %w", err)
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: dbtypes.BillingModePayPerRequest, // capacity means nothing locally
		KeySchema:   keySchema(s.KeySchema),
	}
	for _, a := range s.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, dbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: dbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, g := range s.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, dbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName),
			KeySchema: keySchema(g.KeySchema),
			Projection: &dbtypes.Projection{
				ProjectionType:   dbtypes.ProjectionType(g.Projection.ProjectionType),
				NonKeyAttributes: g.Projection.NonKeyAttributes,
			},
		})
	}
	var inUse *dbtypes.ResourceInUseException
	if _, err := ddb.CreateTable(ctx, in); err != nil && !errors.As(err, &inUse) {
		return "", fmt.Errorf("provision table %s: %w", name, err)
	}
	wait := dynamodb.NewTableExistsWaiter(ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	})
	if err := wait.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return "", fmt.Errorf("provision table %s: %w", name, err)
	}
	if s.TimeToLive.Enabled {
		if err := enableTTL(ctx, ddb, name, s.TimeToLive.AttributeName); err != nil {
			return "", err
		}
	}
	return name, nil
}

func keySchema(ks []KeyElement) []dbtypes.KeySchemaElement {
	out := make([]dbtypes.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, dbtypes.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: dbtypes.KeyType(k.KeyType)})
	}
	return out
}

// enableTTL turns TTL on unless it is already: DynamoDB rejects enabling
// it twice.
func enableTTL(ctx context.Context, ddb *dynamodb.Client, table, attr string) error {
	d, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("provision table %s: describe ttl: %w", table, err)
	}
	if desc := d.TimeToLiveDescription; desc != nil && aws.ToString(desc.AttributeName) == attr &&
		(desc.TimeToLiveStatus == dbtypes.TimeToLiveStatusEnabled || desc.TimeToLiveStatus == dbtypes.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("provision table %s: enable ttl on %s: %w", table, attr, err)
	}
	return nil
}

// queueMaker creates queues, each after its dead-letter queue.
type queueMaker struct {
	ctx    context.Context
	sqs    *sqs.Client
	t      *Template
	prefix string
	urls   map[string]string // logical id -> URL, shared with Resources.Physical
	busy   map[string]bool   // being created: a redrive cycle if seen again
}

func (m queueMaker) create(id string) (string, error) {
	if url := m.urls[id]; url != "" {
		return url, nil
	}
	if m.busy[id] {
		return "", fmt.Errorf("provision queue %s: redrive cycle", id)
	}
	m.busy[id] = true
	s, err := m.t.Queue(id)
	if err != nil {
		return "", fmt.Errorf("provision: %w", err)
	}
	name, err := physicalName(id, s.QueueName, m.prefix)
	if err != nil {
		return "", fmt.Errorf("provision: %w", err)
	}
	attrs, err := m.attributes(id, s)
	if err != nil {
		return "", err
	}
	out, err := m.sqs.CreateQueue(m.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("provision queue %s: %w", name, err)
	}
	m.urls[id] = aws.ToString(out.QueueUrl)
	return m.urls[id], nil
}

// attributes maps the template's queue properties to SQS attributes.
func (m queueMaker) attributes(id string, s QueueSpec) (map[string]string, error) {
	attrs := map[string]string{}
	if s.FifoQueue {
		attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
	}
	if s.ContentBasedDeduplication {
		attrs[string(sqstypes.QueueAttributeNameContentBasedDeduplication)] = "true"
	}
	if s.DeduplicationScope != "" {
		attrs[string(sqstypes.QueueAttributeNameDeduplicationScope)] = s.DeduplicationScope
	}
	if s.FifoThroughputLimit != "" {
		attrs[string(sqstypes.QueueAttributeNameFifoThroughputLimit)] = s.FifoThroughputLimit
	}
	for name, v := range map[sqstypes.QueueAttributeName]*int{
		sqstypes.QueueAttributeNameVisibilityTimeout:             s.VisibilityTimeout,
		sqstypes.QueueAttributeNameMessageRetentionPeriod:        s.MessageRetentionPeriod,
		sqstypes.QueueAttributeNameDelaySeconds:                  s.DelaySeconds,
		sqstypes.QueueAttributeNameReceiveMessageWaitTimeSeconds: s.ReceiveMessageWaitTimeSeconds,
	} {
		if v != nil {
			attrs[string(name)] = strconv.Itoa(*v)
		}
	}
	if s.RedrivePolicy != nil {
		target, err := s.RedrivePolicy.DeadLetterTarget()
		if err != nil {
			return nil, fmt.Errorf("provision queue %s: %w", id, err)
		}
		arn, err := m.arn(target)
		if err != nil {
			return nil, fmt.Errorf("provision queue %s: dead-letter queue: %w", id, err)
		}
		policy, err := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": s.RedrivePolicy.MaxReceiveCount})
		if err != nil {
			return nil, fmt.Errorf("provision queue %s: %w", id, err)
		}
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
	}
	return attrs, nil
}

func (m queueMaker) arn(id string) (string, error) {
	url, err := m.create(id)
	if err != nil {
		return "", err
	}
	out, err := m.sqs.GetQueueAttributes(m.ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("arn of %s: %w", url, err)
	}
	arn := out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", fmt.Errorf("arn of %s: not returned", url)
	}
	return arn, nil
}

// Deprovision deletes the table and queues of r; what is already gone is
// not an error.
func Deprovision(ctx context.Context, ddb *dynamodb.Client, sq *sqs.Client, r Resources) error {
	var errs []error
	if r.Table != "" {
		var missing *dbtypes.ResourceNotFoundException
		if _, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Table)}); err != nil && !errors.As(err, &missing) {
			errs = append(errs, fmt.Errorf("delete table %s: %w", r.Table, err))
		}
	}
	for _, urls := range []map[billing.Kind]string{r.Queues, r.Backfill, r.DLQs} {
		for _, url := range urls {
			var missing *sqstypes.QueueDoesNotExist
			if _, err := sq.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil && !errors.As(err, &missing) {
				errs = append(errs, fmt.Errorf("delete queue %s: %w", url, err))
			}
		}
	}
	return errors.Join(errs...)
}
