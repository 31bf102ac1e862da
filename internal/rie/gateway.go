package rie

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Gateway is one function's AWS endpoint (AWS_ENDPOINT_URL): it sends each
// call to DynamoDB Local, the SQS emulator or the SSM and KMS stand-ins by
// its X-Amz-Target, and records the IAM action every call needs. Like IAM,
// it refuses a call whose actions the function's role does not allow.
type Gateway struct {
	URL string

	srv     *http.Server
	dynamo  *httputil.ReverseProxy
	sqs     *httputil.ReverseProxy
	ssm     http.Handler
	kms     http.Handler
	allow   func(action string) bool
	mu      sync.Mutex
	actions map[string]int
}

// Backends are what a Gateway forwards to.
type Backends struct {
	DynamoEndpoint, SQSEndpoint string
	SSM, KMS                    http.Handler
}

// NewGateway serves a recording endpoint on a free loopback port. allow
// says whether the role grants an action; nil allows everything.
func NewGateway(b Backends, allow func(action string) bool) (*Gateway, error) {
	ddb, err := url.Parse(b.DynamoEndpoint)
	if err != nil {
		return nil, err
	}
	sq, err := url.Parse(b.SQSEndpoint)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &Gateway{URL: "http://" + l.Addr().String(), ssm: b.SSM, kms: b.KMS, allow: allow, actions: map[string]int{},
		dynamo: proxy(ddb), sqs: proxy(sq)}
	// AWS signs DynamoDB's answers with a CRC32 header the SDK checks;
	// DynamoDB Local leaves it out of errors.
	g.dynamo.ModifyResponse = addCRC32
	g.srv = &http.Server{Handler: g}
	go func() { _ = g.srv.Serve(l) }()
	return g, nil
}

func proxy(target *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = target.Host
	}}
}

func addCRC32(resp *http.Response) error {
	if resp.Header.Get("X-Amz-Crc32") != "" {
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Header.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

// ServeHTTP records the call's actions and forwards it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	prefix, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	var next http.Handler
	var service string
	switch prefix {
	case "DynamoDB_20120810":
		next, service = g.dynamo, "dynamodb"
	case "AmazonSQS":
		next, service = g.sqs, "sqs"
	case "AmazonSSM":
		next, service = g.ssm, "ssm"
	case "TrentService":
		next, service = g.kms, "kms"
	default:
		g.record("unknown:" + r.Header.Get("X-Amz-Target"))
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	for _, a := range iamActions(service, op, body) {
		g.record(a)
		if g.allow != nil && !g.allow(a) {
			awsError(w, "AccessDeniedException", "User is not authorized to perform: "+a+
				" because no identity-based policy allows the "+a+" action")
			return
		}
	}
	next.ServeHTTP(w, r)
}

func (g *Gateway) record(action string) {
	g.mu.Lock()
	g.actions[action]++
	g.mu.Unlock()
}

// Actions returns the IAM actions recorded so far, sorted.
func (g *Gateway) Actions() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.actions))
	for a := range g.actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Close stops the endpoint.
func (g *Gateway) Close() { _ = g.srv.Close() }

// iamActions is what IAM authorizes for one API call. Transactions are
// authorized item by item with the single-item actions, and SQS batches
// with their single-message action.
func iamActions(service, op string, body []byte) []string {
	switch {
	case service == "dynamodb" && op == "TransactWriteItems":
		var in struct {
			TransactItems []map[string]json.RawMessage
		}
		_ = json.Unmarshal(body, &in)
		seen := map[string]bool{}
		var out []string
		for _, it := range in.TransactItems {
			for k := range it {
				a := "dynamodb:" + map[string]string{"Put": "PutItem", "Update": "UpdateItem",
					"Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}[k]
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
		return out
	case service == "dynamodb" && op == "TransactGetItems":
		return []string{"dynamodb:GetItem"}
	case service == "sqs" && strings.HasSuffix(op, "Batch"):
		return []string{"sqs:" + strings.TrimSuffix(op, "Batch")}
	}
	return []string{service + ":" + op}
}
