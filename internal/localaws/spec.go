package localaws

import (
	"fmt"
	"sort"
)

// Resource types the local stack understands.
const (
	TypeTable    = "AWS::DynamoDB::Table"
	TypeQueue    = "AWS::SQS::Queue"
	TypeFunction = "AWS::Serverless::Function"
)

// TableSpec is an AWS::DynamoDB::Table's properties.
type TableSpec struct {
	TableName              Value                 `yaml:"TableName"`
	BillingMode            string                `yaml:"BillingMode"`
	AttributeDefinitions   []AttributeDefinition `yaml:"AttributeDefinitions"`
	KeySchema              []KeyElement          `yaml:"KeySchema"`
	GlobalSecondaryIndexes []IndexSpec           `yaml:"GlobalSecondaryIndexes"`
	TimeToLive             struct {
		AttributeName string `yaml:"AttributeName"`
		Enabled       bool   `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
}

// AttributeDefinition declares a key attribute's type (S, N or B).
type AttributeDefinition struct {
	AttributeName string `yaml:"AttributeName"`
	AttributeType string `yaml:"AttributeType"`
}

// KeyElement is one part of a key schema (HASH or RANGE).
type KeyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// IndexSpec is a global secondary index.
type IndexSpec struct {
	IndexName  string       `yaml:"IndexName"`
	KeySchema  []KeyElement `yaml:"KeySchema"`
	Projection struct {
		ProjectionType   string   `yaml:"ProjectionType"`
		NonKeyAttributes []string `yaml:"NonKeyAttributes"`
	} `yaml:"Projection"`
}

// QueueSpec is an AWS::SQS::Queue's properties. Pointers are unset
// properties, which keep SQS's defaults.
type QueueSpec struct {
	QueueName                     Value          `yaml:"QueueName"`
	FifoQueue                     bool           `yaml:"FifoQueue"`
	ContentBasedDeduplication     bool           `yaml:"ContentBasedDeduplication"`
	DeduplicationScope            string         `yaml:"DeduplicationScope"`
	FifoThroughputLimit           string         `yaml:"FifoThroughputLimit"`
	VisibilityTimeout             *int           `yaml:"VisibilityTimeout"`
	MessageRetentionPeriod        *int           `yaml:"MessageRetentionPeriod"`
	DelaySeconds                  *int           `yaml:"DelaySeconds"`
	ReceiveMessageWaitTimeSeconds *int           `yaml:"ReceiveMessageWaitTimeSeconds"`
	RedrivePolicy                 *RedrivePolicy `yaml:"RedrivePolicy"`
}

// RedrivePolicy sends a message to DeadLetterTarget after MaxReceiveCount
// receives.
type RedrivePolicy struct {
	DeadLetterTargetArn Value `yaml:"deadLetterTargetArn"`
	MaxReceiveCount     int   `yaml:"maxReceiveCount"`
}

// DeadLetterTarget returns the logical id of the dead-letter queue, which
// the template names with !GetAtt <Queue>.Arn.
func (p RedrivePolicy) DeadLetterTarget() (string, error) {
	id, attr, ok := p.DeadLetterTargetArn.GetAtt()
	if !ok || attr != "Arn" {
		return "", fmt.Errorf("deadLetterTargetArn %s is not !GetAtt <Queue>.Arn", p.DeadLetterTargetArn)
	}
	return id, nil
}

// Table returns the properties of table id.
func (t *Template) Table(id string) (TableSpec, error) {
	var s TableSpec
	err := t.properties(id, TypeTable, &s)
	return s, err
}

// Queue returns the properties of queue id.
func (t *Template) Queue(id string) (QueueSpec, error) {
	var s QueueSpec
	err := t.properties(id, TypeQueue, &s)
	return s, err
}

// Function is an AWS::Serverless::Function with the template's Globals
// applied.
type Function struct {
	LogicalID   string
	CodeURI     string
	BuildMethod string
	Timeout     int // seconds
	Environment map[string]Value
	Events      map[string]Event
	Policies    []Value
}

// Event is one of a function's event sources.
type Event struct {
	Type       string `yaml:"Type"`
	Properties Value  `yaml:"Properties"`
}

// Route is an HTTP API route served by a function.
type Route struct {
	Method string // GET, POST, ... or ANY
	Path   string // with {param} and {proxy+} placeholders
}

// functionProps are the function properties the local stack reads; Globals
// has the same shape.
type functionProps struct {
	CodeURI     *string `yaml:"CodeUri"`
	Timeout     *int    `yaml:"Timeout"`
	Environment struct {
		Variables map[string]Value `yaml:"Variables"`
	} `yaml:"Environment"`
	Events   map[string]Event `yaml:"Events"`
	Policies []Value          `yaml:"Policies"`
}

// samDefaultTimeout is Lambda's timeout when neither the function nor
// Globals set one.
const samDefaultTimeout = 3

// Functions returns every function, keyed by logical id.
func (t *Template) Functions() (map[string]Function, error) {
	var global functionProps
	if err := t.Globals.Function.Decode(&global); err != nil {
		return nil, fmt.Errorf("globals: %w", err)
	}
	out := map[string]Function{}
	for _, id := range t.LogicalIDs(TypeFunction) {
		var own functionProps
		if err := t.properties(id, TypeFunction, &own); err != nil {
			return nil, err
		}
		var meta struct {
			BuildMethod string `yaml:"BuildMethod"`
		}
		md := t.Resources[id].Metadata
		if err := md.Decode(&meta); err != nil {
			return nil, fmt.Errorf("resource %s metadata: %w", id, err)
		}
		f := Function{
			LogicalID: id, BuildMethod: meta.BuildMethod, Timeout: samDefaultTimeout,
			Environment: map[string]Value{}, Events: own.Events, Policies: own.Policies,
		}
		for _, p := range []functionProps{global, own} { // the function's own settings win
			if p.CodeURI != nil {
				f.CodeURI = *p.CodeURI
			}
			if p.Timeout != nil {
				f.Timeout = *p.Timeout
			}
			for k, v := range p.Environment.Variables {
				f.Environment[k] = v
			}
		}
		out[id] = f
	}
	return out, nil
}

// Routes returns the function's HttpApi routes, sorted by path and method.
func (f Function) Routes() ([]Route, error) {
	var routes []Route
	for name, e := range f.Events {
		if e.Type != "HttpApi" {
			continue
		}
		var p struct {
			Method string `yaml:"Method"`
			Path   string `yaml:"Path"`
		}
		if err := e.Properties.node.Decode(&p); err != nil {
			return nil, fmt.Errorf("%s event %s: %w", f.LogicalID, name, err)
		}
		routes = append(routes, Route{Method: p.Method, Path: p.Path})
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	return routes, nil
}

// SQSEvent is the properties of a function's SQS event source.
type SQSEvent struct {
	Queue                 Value    `yaml:"Queue"`
	BatchSize             int      `yaml:"BatchSize"`
	FunctionResponseTypes []string `yaml:"FunctionResponseTypes"`
	ScalingConfig         struct {
		// MaximumConcurrency is a number or !Ref of a Number parameter;
		// Template.Int resolves it.
		MaximumConcurrency Value `yaml:"MaximumConcurrency"`
	} `yaml:"ScalingConfig"`
}

// QueueLogicalID returns the queue named by !GetAtt <Queue>.Arn.
func (e SQSEvent) QueueLogicalID() (string, error) {
	id, attr, ok := e.Queue.GetAtt()
	if !ok || attr != "Arn" {
		return "", fmt.Errorf("SQS event queue %s is not !GetAtt <Queue>.Arn", e.Queue)
	}
	return id, nil
}

// SQSEvents returns the function's SQS event sources by event name.
func (f Function) SQSEvents() (map[string]SQSEvent, error) {
	out := map[string]SQSEvent{}
	for name, e := range f.Events {
		if e.Type != "SQS" {
			continue
		}
		var s SQSEvent
		if err := e.Properties.node.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s event %s: %w", f.LogicalID, name, err)
		}
		out[name] = s
	}
	return out, nil
}

// Schedules returns the expressions of the function's Schedule events.
func (f Function) Schedules() ([]string, error) {
	var out []string
	for name, e := range f.Events {
		if e.Type != "Schedule" {
			continue
		}
		var s struct {
			Schedule string `yaml:"Schedule"`
		}
		if err := e.Properties.node.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s event %s: %w", f.LogicalID, name, err)
		}
		out = append(out, s.Schedule)
	}
	sort.Strings(out)
	return out, nil
}
