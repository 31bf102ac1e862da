package devstack

import (
	"context"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Counts are the requests the stack's functions sent since the last
// ResetCounts. Every attempt counts, retries included, as AWS and Intuit
// would bill and rate-limit them.
type Counts struct {
	// DynamoDB counts requests by operation, for example "PutItem".
	DynamoDB map[string]int
	// SQS counts the functions' own requests by action, for example
	// "SendMessage".
	SQS map[string]int
	// QBO counts requests to Intuit (the simulator) by method and path,
	// with the realm left out and ids replaced: "POST invoice",
	// "GET invoice/{id}", "GET query", "POST /oauth2/v1/tokens/bearer".
	QBO map[string]int
	// EventSource counts what the queue pollers sent to SQS on the
	// functions' behalf (ReceiveMessage, DeleteMessageBatch, ...), as
	// Lambda's event source mapping would. Idle polls make it grow with
	// time, so it is kept apart from SQS.
	EventSource map[string]int
	// ReadUnits and WriteUnits are the DynamoDB capacity the functions'
	// requests consumed, as DynamoDB reports it (ReturnConsumedCapacity
	// TOTAL); a refused conditional write reports none.
	ReadUnits, WriteUnits float64
	// DynamoDBItems splits the DynamoDB requests (a failed one included)
	// and their write units by operation and the kinds of item touched,
	// for example "TransactWriteItems C+E+H".
	DynamoDBItems map[string]ItemCount
	// FunctionItems splits DynamoDBItems further by the function (logical
	// id) that sent the request, "" for none, so a cost that grows can be
	// traced to the function and the item behind it.
	FunctionItems map[string]map[string]ItemCount
	// Functions splits the functions' requests by the function (logical
	// id) whose invocation sent them; "" holds what no invocation sent.
	Functions map[string]FunctionCounts
}

// FunctionCounts are one function's requests: totals per service.
type FunctionCounts struct {
	DynamoDB, SQS, QBO    int
	ReadUnits, WriteUnits float64
}

// Total returns the sum of the counts in m, for example Total(c.QBO).
func Total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// counter tallies requests per service and key. It is safe for concurrent use.
type counter struct {
	mu sync.Mutex
	c  Counts
}

func newCounter() *counter {
	k := &counter{}
	k.reset()
	return k
}

func (k *counter) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.c = Counts{DynamoDB: map[string]int{}, SQS: map[string]int{}, QBO: map[string]int{}, EventSource: map[string]int{},
		DynamoDBItems: map[string]ItemCount{}, FunctionItems: map[string]map[string]ItemCount{}, Functions: map[string]FunctionCounts{}}
}

func (k *counter) add(pick func(*Counts) map[string]int, key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pick(&k.c)[key]++
}

// addFunction counts one request of function to a service: "dynamodb",
// "sqs" or "qbo".
func (k *counter) addFunction(function, service string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f := k.c.Functions[function]
	switch service {
	case "dynamodb":
		f.DynamoDB++
	case "sqs":
		f.SQS++
	case "qbo":
		f.QBO++
	}
	k.c.Functions[function] = f
}

func (k *counter) addUnits(function, label string, read, write float64, failed bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.c.DynamoDBItems[label] = k.c.DynamoDBItems[label].add(write, failed)
	fi := k.c.FunctionItems[function]
	if fi == nil {
		fi = map[string]ItemCount{}
		k.c.FunctionItems[function] = fi
	}
	fi[label] = fi[label].add(write, failed)
	k.c.ReadUnits += read
	k.c.WriteUnits += write
	f := k.c.Functions[function]
	f.ReadUnits += read
	f.WriteUnits += write
	k.c.Functions[function] = f
}

func (k *counter) snapshot() Counts {
	k.mu.Lock()
	defer k.mu.Unlock()
	return Counts{DynamoDB: maps.Clone(k.c.DynamoDB), SQS: maps.Clone(k.c.SQS),
		QBO: maps.Clone(k.c.QBO), EventSource: maps.Clone(k.c.EventSource),
		ReadUnits: k.c.ReadUnits, WriteUnits: k.c.WriteUnits, DynamoDBItems: maps.Clone(k.c.DynamoDBItems),
		FunctionItems: cloneFunctionItems(k.c.FunctionItems), Functions: maps.Clone(k.c.Functions)}
}

func cloneFunctionItems(m map[string]map[string]ItemCount) map[string]map[string]ItemCount {
	out := make(map[string]map[string]ItemCount, len(m))
	for f, items := range m {
		out[f] = maps.Clone(items)
	}
	return out
}

func dynamoCounts(c *Counts) map[string]int { return c.DynamoDB }
func sqsCounts(c *Counts) map[string]int    { return c.SQS }
func qboCounts(c *Counts) map[string]int    { return c.QBO }
func pollCounts(c *Counts) map[string]int   { return c.EventSource }

// awsCounting wraps an AWS SDK HTTP client so each request is counted under
// the operation named by its X-Amz-Target header ("DynamoDB_20120810.PutItem",
// "AmazonSQS.SendMessage"), the header both JSON protocols carry.
type awsCounting struct {
	next  aws.HTTPClient
	count func(ctx context.Context, op string)
	// hung, when it reports true, makes each request wait for its
	// context's end unanswered, as a service that stopped responding.
	hung func() bool
}

func (c awsCounting) Do(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	if op == "" {
		op = "unknown"
	}
	c.count(r.Context(), op)
	if c.hung != nil && c.hung() {
		<-r.Context().Done()
		return nil, r.Context().Err()
	}
	return c.next.Do(r)
}

// countingTransport counts the requests an http.Client sends to Intuit.
type countingTransport struct {
	next  http.RoundTripper
	count func(ctx context.Context, key string)
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.count(r.Context(), qboKey(r))
	return t.next.RoundTrip(r)
}

var (
	companyPath = regexp.MustCompile(`^/v3/company/[^/]+/(.*)$`)
	idSegment   = regexp.MustCompile(`/[0-9]+(/|$)`)
)

// qboKey names a QBO request without the parts that vary per company or
// entity, so counts from different runs compare.
func qboKey(r *http.Request) string {
	m := companyPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return r.Method + " " + r.URL.Path
	}
	rest := idSegment.ReplaceAllString("/"+m[1], "/{id}$1")[1:]
	if op := r.URL.Query().Get("operation"); op != "" {
		rest += "?operation=" + op
	}
	return r.Method + " " + rest
}
