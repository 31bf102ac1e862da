package rie_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/iam"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/rie"
)

// apiEvent is the API Gateway HTTP API (payload 2.0) event for a request;
// claims, when set, are what the JWT authorizer verified.
func apiEvent(method, path, query string, headers map[string]string, body string, claims map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + path, RawPath: path, RawQueryString: query,
		Headers: headers, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage: "$default", RequestID: strconv.FormatInt(time.Now().UnixNano(), 36),
			DomainName: "api.example", TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1",
			},
		},
	}
	if ev.Headers == nil {
		ev.Headers = map[string]string{}
	}
	if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	return ev
}

func expiry() string { return strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) }

func operatorClaims() map[string]string {
	return map[string]string{"sub": "ops@example", "role": "operator", "exp": expiry()}
}

func adminClaims() map[string]string {
	return map[string]string{"sub": "admin@acme.example", "role": "admin", "tenant": tenant, "exp": expiry()}
}

// http invokes an HTTP API function and decodes its JSON answer into out.
func (d *deployed) http(ctx context.Context, fn, method, path, query string, claims map[string]string, body string, want int, out any) events.APIGatewayV2HTTPResponse {
	d.t.Helper()
	headers := map[string]string{}
	if body != "" {
		headers["content-type"] = "application/json"
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := d.functions[fn].Invoke(ctx, apiEvent(method, path, query, headers, body, claims), &resp); err != nil {
		d.t.Fatalf("%s %s: %v\n%s", method, path, err, tail(d.functions[fn]))
	}
	if resp.StatusCode != want {
		d.t.Fatalf("%s %s %s answered %d %s, want %d\n%s", fn, method, path, resp.StatusCode, resp.Body, want, tail(d.functions[fn]))
	}
	if out != nil {
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			d.t.Fatalf("%s %s: %v: %s", method, path, err, resp.Body)
		}
	}
	return resp
}

// connect runs the QuickBooks connection as an admin does: the OAuth
// function's consent URL, the simulator's consent (it approves at once),
// and its redirect back to the OAuth function's callback.
func (d *deployed) connect(ctx context.Context) string {
	d.t.Helper()
	var connect struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	d.http(ctx, "OAuthFunction", http.MethodPost, "/qbo/connect", "", adminClaims(),
		`{"tenant":"`+tenant+`"}`, http.StatusOK, &connect)
	if !strings.HasPrefix(connect.AuthorizeURL, d.simURL) {
		d.t.Fatalf("authorize URL %q does not lead to QuickBooks (the simulator at %s)", connect.AuthorizeURL, d.simURL)
	}
	browser := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, connect.AuthorizeURL, nil)
	resp, err := browser.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		d.t.Fatalf("consent answered %d without a redirect: %v", resp.StatusCode, err)
	}
	if !strings.HasPrefix(loc.String(), publicBaseURL+"/qbo/callback") {
		d.t.Fatalf("consent redirects to %s, want %s/qbo/callback", loc, publicBaseURL)
	}
	d.http(ctx, "OAuthFunction", http.MethodGet, "/qbo/callback", loc.RawQuery, nil, "", http.StatusOK, nil)
	realm := loc.Query().Get("realmId")
	if realm == "" {
		d.t.Fatalf("callback %s names no realm", loc)
	}
	return realm
}

// deliver plays Lambda's SQS event source for kind's queue: it receives
// the waiting messages, invokes the kind's sync function with them and
// deletes those the function did not report as failed.
func (d *deployed) deliver(ctx context.Context, kind billing.Kind) {
	d.t.Helper()
	d.deliverQueue(ctx, d.res.Queues[kind], localaws.SyncFunctionLogicalID(kind))
}

// deliverQueue hands queue's messages to function id, as Lambda's SQS
// event source does.
func (d *deployed) deliverQueue(ctx context.Context, queue, id string) {
	d.t.Helper()
	kind := id
	fn := d.functions[id]
	out, err := d.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		d.t.Fatal(err)
	}
	if len(out.Messages) == 0 {
		d.t.Fatalf("%s's queue is empty: nothing was queued", kind)
	}
	var ev events.SQSEvent
	for _, m := range out.Messages {
		rec := events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:" + localaws.Region + ":000000000000:" + queue[strings.LastIndex(queue, "/")+1:],
			AWSRegion: localaws.Region}
		for k, v := range m.MessageAttributes {
			if rec.MessageAttributes == nil {
				rec.MessageAttributes = map[string]events.SQSMessageAttribute{}
			}
			rec.MessageAttributes[k] = events.SQSMessageAttribute{StringValue: v.StringValue, DataType: aws.ToString(v.DataType)}
		}
		ev.Records = append(ev.Records, rec)
	}
	var resp events.SQSEventResponse
	if err := fn.Invoke(ctx, ev, &resp); err != nil {
		d.t.Fatalf("%s: %v\n%s", kind, err, tail(fn))
	}
	if len(resp.BatchItemFailures) > 0 {
		d.t.Fatalf("%s reported failures %v\n%s", kind, resp.BatchItemFailures, tail(fn))
	}
	for _, m := range out.Messages {
		if _, err := d.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
			d.t.Fatal(err)
		}
	}
}

// queryQBO runs a query against the simulator with the tenant's access
// token, read from the table and opened with the KMS stand-in.
func (d *deployed) queryQBO(ctx context.Context, realm, stmt string) []map[string]any {
	d.t.Helper()
	conn, err := d.store.Connection(ctx, tenant)
	if err != nil {
		d.t.Fatal(err)
	}
	u := fmt.Sprintf("%s/v3/company/%s/query?minorversion=75&query=%s", d.simURL, realm, url.QueryEscape(stmt))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		d.t.Fatalf("query %q: %d %s", stmt, resp.StatusCode, b)
	}
	var out struct {
		QueryResponse struct{ Customer []map[string]any }
	}
	if err := json.Unmarshal(b, &out); err != nil {
		d.t.Fatal(err)
	}
	return out.QueryResponse.Customer
}

// grantedActions expands f's policies in template.yaml to IAM action patterns.
func grantedActions(c iam.Catalogue, f localaws.Function) ([]string, error) {
	policies := make([]iam.Policy, 0, len(f.Policies))
	for _, p := range f.Policies {
		policies = append(policies, p)
	}
	granted, err := c.Granted(policies)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.LogicalID, err)
	}
	return granted, nil
}

// report prints each function's cold start, bootstrap size and
// permissions table, writes them to .artifacts/rie-report.txt (make test
// prints it) and fails for every action a role does not grant.
func (d *deployed) report() {
	ids := make([]string, 0, len(d.functions))
	for id := range d.functions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "Functions under aws-lambda-rie (%s/%s bootstraps): the emulator's REPORT of the first invoke\n", runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "  %-28s %14s %22s %10s\n", "function", "Init Duration", "first invoke Duration", "bootstrap")
	for _, id := range ids {
		f := d.functions[id]
		init, first, err := f.ColdStart()
		if err != nil {
			fmt.Fprintf(&b, "  %-28s %v\n", id, err)
			continue
		}
		size := int64(0)
		if st, err := os.Stat(f.Bootstrap); err == nil {
			size = st.Size()
		}
		fmt.Fprintf(&b, "  %-28s %11.2f ms %19.2f ms %7.1f MB\n", id, ms(init), ms(first), float64(size)/1e6)
	}
	b.WriteString("\nPermissions: the AWS actions each function called, against its policies in template.yaml\n")
	for _, id := range ids {
		r := iam.Compare(id, d.gateways[id].Actions(), d.granted[id])
		b.WriteString(r.String())
		for _, a := range r.Missing {
			d.t.Errorf("%s calls %s, which its policies in template.yaml do not grant", id, a)
		}
	}
	fmt.Print(b.String())
	if root, err := localaws.RepoRoot(); err == nil {
		dir := filepath.Join(root, ".artifacts")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "rie-report.txt"), []byte(b.String()), 0o644)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func tail(f *rie.Function) string {
	out := f.Output()
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createQBOCustomer makes a customer in the company through the
// Accounting API, as an accountant would, and returns its id.
func (d *deployed) createQBOCustomer(ctx context.Context, realm, name string) string {
	d.t.Helper()
	conn, err := d.store.Connection(ctx, tenant)
	if err != nil {
		d.t.Fatal(err)
	}
	u := fmt.Sprintf("%s/v3/company/%s/customer?minorversion=75", d.simURL, realm)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(`{"DisplayName":"`+name+`"}`))
	req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Customer struct {
			ID string `json:"Id"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		d.t.Fatalf("create QuickBooks customer %s: %d %v", name, resp.StatusCode, err)
	}
	return out.Customer.ID
}
