package rie_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/iam"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/metrics"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
	"github.com/qbosync/qbosync/internal/rie"
	"github.com/qbosync/qbosync/internal/seal"
	"github.com/qbosync/qbosync/internal/store"
)

var stack *localaws.Stack

func TestMain(m *testing.M) { localaws.Main(m, &stack) }

const (
	simClientID     = "rie-client"
	simClientSecret = "rie-client-secret"
	tokenKeyID      = "0b1e0c0d-5a11-4f1e-9d2c-000000000001"
	tenant          = "acme"
	// publicBaseURL is where the OAuth redirect points; the test reads the
	// redirect and plays the browser, so nothing is ever sent there.
	publicBaseURL = "http://127.0.0.1:9"
)

// deployed is the template's functions running as their bootstraps.
type deployed struct {
	t         *testing.T
	functions map[string]*rie.Function
	gateways  map[string]*rie.Gateway
	sqs       *sqs.Client
	res       localaws.Resources
	granted   map[string][]string // per function: the actions its policies allow
	testerKMS *kms.Client
	store     *store.Store
	simURL    string
}

// The functions as Lambda runs them: every function's bootstrap under
// AWS's runtime emulator with exactly the environment template.yaml gives
// it, against DynamoDB Local, the SQS emulator, qbosim and SSM and KMS
// stand-ins. One signed webhook goes through webhook → queue → sync →
// QuickBooks → admin API, and every AWS action each function called must
// be granted by its policies in the template.
func TestBootstrapsUnderLambdaEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	d := start(ctx, t, root)
	// The table is printed whatever the flow's outcome: a denied action
	// stops a function the way it would on AWS.
	defer d.report()

	// Provision a tenant through the operator API (admin function).
	var created struct {
		WebhookSecret struct{ Value string } `json:"webhook_secret"`
	}
	d.http(ctx, "AdminFunction", http.MethodPost, "/api/v1/operator/tenants", "", operatorClaims(),
		`{"id":"`+tenant+`","name":"Acme"}`, http.StatusCreated, &created)
	if created.WebhookSecret.Value == "" {
		t.Fatal("operator API returned no webhook secret")
	}

	realm := d.connect(ctx)

	// One signed webhook: the billing system creates a customer now, so
	// the event takes the live lane.
	event := `{"id":"evt_rie_1","type":"customer.created","occurred_at":"` + time.Now().UTC().Format(time.RFC3339) + `",` +
		`"data":{"id":"cus_rie_1","version":1,"display_name":"Runtime Emulator Ltd","email":"billing@rie.example","currency":"USD"}}`
	sig := billing.Sign([]byte(created.WebhookSecret.Value), time.Now(), []byte(event))
	ev := apiEvent(http.MethodPost, "/v1/webhooks/"+tenant, "", map[string]string{
		"content-type": "application/json", strings.ToLower(billing.SignatureHeader): sig}, event, nil)
	ev.PathParameters = map[string]string{"tenant": tenant}
	var resp events.APIGatewayV2HTTPResponse
	if err := d.functions["WebhookFunction"].Invoke(ctx, ev, &resp); err != nil {
		t.Fatalf("webhook: %v\n%s", err, tail(d.functions["WebhookFunction"]))
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook answered %d %s, want 202", resp.StatusCode, resp.Body)
	}

	// Lambda's SQS event source: the customer queue's message to its function.
	d.deliver(ctx, billing.Kind("customer"))

	// QuickBooks has the customer.
	customers := d.queryQBO(ctx, realm, "select * from Customer where DisplayName = 'Runtime Emulator Ltd'")
	if len(customers) != 1 {
		t.Fatalf("QuickBooks has %d customers named Runtime Emulator Ltd, want 1", len(customers))
	}
	qboID := fmt.Sprint(customers[0]["Id"])

	// The admin API shows it synced, linked to that QuickBooks id.
	var detail map[string]any
	d.http(ctx, "AdminFunction", http.MethodGet, "/api/v1/tenants/"+tenant+"/entities/customer/cus_rie_1", "",
		adminClaims(), "", http.StatusOK, &detail)
	text, _ := json.Marshal(detail)
	if !strings.Contains(string(text), `"synced"`) || !strings.Contains(string(text), `"`+qboID+`"`) {
		t.Errorf("admin API entity = %s, want status synced and QuickBooks id %s", text, qboID)
	}

	// A poison message in the customer dead-letter queue: the admin
	// function lists it for its tenant, redrives it, and operators see
	// the fleet's queues.
	dead := `{"tenant":"` + tenant + `","kind":"customer","id":"cus_rie_1","customer_id":"cus_rie_1","version":1,"reason":"webhook"}`
	if _, err := d.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.res.DLQs["customer"]), MessageBody: aws.String(dead),
		MessageGroupId: aws.String(tenant + "#cus_rie_1"), MessageDeduplicationId: aws.String("rie-dead-1")}); err != nil {
		t.Fatal(err)
	}
	var letters struct{ Total, Redriven int }
	d.http(ctx, "AdminFunction", http.MethodGet, "/api/v1/tenants/"+tenant+"/dead-letters", "", adminClaims(), "", http.StatusOK, &letters)
	d.http(ctx, "AdminFunction", http.MethodGet, "/api/v1/operator/dead-letters", "", operatorClaims(), "", http.StatusOK, nil)
	d.http(ctx, "AdminFunction", http.MethodPost, "/api/v1/tenants/"+tenant+"/dead-letters/redrive", "", adminClaims(), "", http.StatusOK, &letters)
	if letters.Total != 1 || letters.Redriven != 1 {
		t.Errorf("dead letters = %+v, want the one redriven", letters)
	}

	// A customer only QuickBooks has: the admin function imports it and
	// records the event, the outbound function delivers it signed.
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	t.Cleanup(receiver.Close)
	var endpoint struct{ Secret struct{ Value string } }
	d.http(ctx, "AdminFunction", http.MethodPut, "/api/v1/tenants/"+tenant+"/outbound/endpoint", "", adminClaims(),
		`{"url":"`+receiver.URL+`/events"}`, http.StatusOK, &endpoint)
	qboOnly := d.createQBOCustomer(ctx, realm, "Only In QuickBooks Ltd")
	d.http(ctx, "AdminFunction", http.MethodPost, "/api/v1/tenants/"+tenant+"/quickbooks-customers/import", "", adminClaims(), "", http.StatusOK, nil)
	d.deliverQueue(ctx, d.res.Physical["OutboundQueue"], "OutboundFunction")
	select {
	case r := <-got:
		body := <-bodies
		if err := billing.VerifySignature(r.Header.Get(billing.SignatureHeader), body, [][]byte{[]byte(endpoint.Secret.Value)}, time.Now()); err != nil ||
			!strings.Contains(string(body), `"qbo_customer_id":"`+qboOnly+`"`) || r.Header.Get("Idempotency-Key") == "" {
			t.Errorf("delivered %s with signature %q: want customer %s found, signed with the endpoint's secret", body, r.Header.Get(billing.SignatureHeader), qboOnly)
		}
	case <-time.After(10 * time.Second):
		t.Error("the outbound function delivered nothing to the receiver")
	}

	// The sync's metrics, as CloudWatch reads them from its log.
	checkMetrics(t, d.functions["SyncCustomerFunction"])

	// The hourly scheduler, and every other sync function's cold start.
	if err := d.functions["SchedulerFunction"].Invoke(ctx, events.EventBridgeEvent{
		Version: "0", Source: "aws.events", DetailType: "Scheduled Event", Detail: json.RawMessage(`{}`)}, nil); err != nil {
		t.Errorf("scheduler: %v\n%s", err, tail(d.functions["SchedulerFunction"]))
	}
	for id, f := range d.functions {
		if _, _, err := f.ColdStart(); err == nil {
			continue
		}
		var out events.SQSEventResponse
		if err := f.Invoke(ctx, events.SQSEvent{Records: []events.SQSMessage{}}, &out); err != nil {
			t.Errorf("%s: %v\n%s", id, err, tail(f))
		}
	}
}

func start(ctx context.Context, t *testing.T, root string) *deployed {
	rieBin, err := rie.BinaryPath(root)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := localaws.LoadTemplate(filepath.Join(root, localaws.TemplateFileName))
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := rie.Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	boots, err := rie.Build(ctx, root, t.TempDir(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	awsCfg, emu, res := stack.ForTest(t)

	sim := standalone.New(standalone.Options{ClientID: simClientID, ClientSecret: simClientSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	simSrv := httptest.NewServer(sim.Handler())
	t.Cleanup(simSrv.Close)
	intuit := map[string]string{
		"QBO_API_BASE":   simSrv.URL,
		"QBO_AUTH_URL":   simSrv.URL + "/connect/oauth2",
		"QBO_TOKEN_URL":  simSrv.URL + "/oauth2/v1/tokens/bearer",
		"QBO_REVOKE_URL": simSrv.URL + "/oauth2/v1/tokens/revoke",
	}

	ssm := &rie.SSM{Params: map[string]string{}}
	keys, err := rie.NewKMS(tokenKeyID)
	if err != nil {
		t.Fatal(err)
	}
	deployment := localaws.Deployment{
		Parameters: map[string]string{"IntuitClientId": simClientID, "PublicBaseUrl": publicBaseURL,
			"AdminJwtIssuer": "https://issuer.example", "AdminJwtAudience": "qbosync"},
		Physical: map[string]string{"TokenKey": tokenKeyID},
	}
	catalogue, err := iam.LoadCatalogue(filepath.Join(root, "internal", "iam", "testdata", "policy_templates.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := &deployed{t: t, functions: map[string]*rie.Function{}, gateways: map[string]*rie.Gateway{},
		sqs: localaws.SQSClient(awsCfg, emu), res: res, granted: map[string][]string{}}
	backends := rie.Backends{DynamoEndpoint: emu.DynamoEndpoint, SQSEndpoint: emu.SQSEndpoint, SSM: ssm, KMS: keys}
	ids := make([]string, 0, len(fns))
	for id := range fns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := fns[id]
		env, err := tmpl.ResolveEnv(f, res, deployment)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range intuit { // Intuit is the simulator; the variables stay the template's
			if _, ok := env[k]; ok {
				env[k] = v
			}
		}
		if p := env["QBO_CLIENT_SECRET_PARAM"]; p != "" {
			ssm.Params[p] = simClientSecret
		}
		if p := env["STATE_KEY_PARAM"]; p != "" {
			ssm.Params[p] = randomHex(32)
		}
		if p := env["INTUIT_VERIFIER_TOKEN_PARAM"]; p != "" {
			ssm.Params[p] = randomHex(16)
		}
		granted, err := grantedActions(catalogue, f)
		if err != nil {
			t.Fatal(err)
		}
		d.granted[id] = granted
		gw, err := rie.NewGateway(backends, func(action string) bool {
			return slices.ContainsFunc(granted, func(g string) bool { return iam.Allows(g, action) })
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(gw.Close)
		boot, ok := boots[id]
		if !ok {
			t.Fatalf("the Makefile has no build-%s target", id)
		}
		fn, err := rie.Start(ctx, rieBin, id, boot, lambdaEnv(env, id, f.Timeout, gw.URL), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fn.Close)
		d.functions[id], d.gateways[id] = fn, gw
	}
	// The test's own view of the books: the table through a sealer on
	// the same KMS stand-in.
	tester, err := rie.NewGateway(backends, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tester.Close)
	d.testerKMS = kms.NewFromConfig(awsCfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(tester.URL) })
	d.store = store.New(localaws.DynamoClient(awsCfg, emu), res.Table, nil).
		WithSealer(seal.New(seal.NewKMS(d.testerKMS, tokenKeyID)))
	d.simURL = simSrv.URL
	return d
}

// lambdaEnv is the process environment Lambda gives a function: the
// template's variables plus what the service itself sets, with AWS's
// endpoints pointing at the function's recording gateway.
func lambdaEnv(env map[string]string, id string, timeout int, endpoint string) map[string]string {
	out := map[string]string{
		"AWS_REGION": localaws.Region, "AWS_DEFAULT_REGION": localaws.Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
		"AWS_LAMBDA_FUNCTION_NAME": id, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": strconv.Itoa(timeout), "AWS_LAMBDA_LOG_FORMAT": "JSON",
		"AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// checkMetrics reads the sync function's Embedded Metric Format lines: one
// customer synced, with its webhook → QuickBooks latency, and the
// Accounting API requests it took.
func checkMetrics(t *testing.T, f *rie.Function) {
	t.Helper()
	data, err := metrics.Parse(strings.NewReader(f.Output()))
	if err != nil {
		t.Fatalf("EMF lines of %s: %v", f.Name, err)
	}
	sum := map[string]float64{}
	for _, d := range data {
		if d.Namespace != metrics.Namespace {
			t.Errorf("metric %s in namespace %s, want %s", d.Name, d.Namespace, metrics.Namespace)
		}
		switch d.Name {
		case metrics.EntitiesSynced, metrics.SyncLatency:
			if d.Dimensions["Kind"] != "customer" {
				t.Errorf("%s dimensioned %v, want Kind customer", d.Name, d.Dimensions)
			}
		case metrics.QBORequests:
			if d.Dimensions["FunctionName"] != f.Name {
				t.Errorf("%s dimensioned %v, want FunctionName %s", d.Name, d.Dimensions, f.Name)
			}
		}
		sum[d.Name] += d.Value
	}
	if sum[metrics.EntitiesSynced] != 1 {
		t.Errorf("EntitiesSynced = %v, want 1", sum[metrics.EntitiesSynced])
	}
	if sum[metrics.SyncLatency] <= 0 || sum[metrics.SyncLatency] > 60_000 {
		t.Errorf("%s = %v ms, want the seconds between webhook and QuickBooks", metrics.SyncLatency, sum[metrics.SyncLatency])
	}
	if sum[metrics.QBORequests] < 1 {
		t.Errorf("QBORequests = %v, want the create and the lookups before it", sum[metrics.QBORequests])
	}
	if sum[metrics.Warnings] != 0 || sum[metrics.Deferred] != 0 {
		t.Errorf("warnings %v deferred %v, want none", sum[metrics.Warnings], sum[metrics.Deferred])
	}
	t.Logf("%s metrics: %v", f.Name, sum)
}
