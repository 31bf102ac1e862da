package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/qbosync/qbosync/internal/app"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/config"
	"github.com/qbosync/qbosync/internal/localaws"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

var stack *localaws.Stack

func TestMain(m *testing.M) { localaws.Main(m, &stack) }

const sealKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// wired is the webhook function as deployed (app.Webhook), on its own
// table and queues, at a clock the test moves.
type wired struct {
	t      testing.TB
	h      app.HTTPHandler
	res    localaws.Resources
	now    time.Time
	secret []byte
	seq    int
}

func newWired(t testing.TB, tenant string, db store.DB) *wired {
	t.Helper()
	_, _, res := stack.ForTest(t)
	w := &wired{t: t, res: res, now: time.Date(2026, 11, 30, 23, 0, 1, 0, time.UTC), secret: []byte("whsec_" + tenant)}
	clock := func() time.Time { return w.now }
	sl, err := app.LocalSealer(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(stack.DynamoDB, res.Table, clock).WithSealer(sl)
	if err := st.CreateTenant(context.Background(), store.Tenant{ID: tenant, Name: tenant, WebhookSecrets: []string{string(w.secret)}}); err != nil {
		t.Fatal(err)
	}
	w.h = app.Webhook(app.Deps{DynamoDB: db, SQS: stack.SQS, Sealer: sl, Log: slog.New(slog.DiscardHandler), Now: clock,
		Config: config.Config{Table: res.Table, QueueURLs: res.Queues, BackfillQueueURLs: res.Backfill}})
	return w
}

// post signs and posts one event that occurred at the clock's time and
// wants 202.
func (w *wired) post(tenant, typ string, data map[string]any) {
	w.t.Helper()
	w.seq++
	body, err := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_%d", w.seq), "type": typ,
		"occurred_at": w.now.Format(time.RFC3339), "data": data})
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := w.h(context.Background(), events.APIGatewayV2HTTPRequest{
		RouteKey: "POST /v1/webhooks/{tenant}", RawPath: "/v1/webhooks/" + tenant,
		PathParameters: map[string]string{"tenant": tenant},
		Headers: map[string]string{"content-type": "application/json",
			strings.ToLower(billing.SignatureHeader): billing.Sign(w.secret, w.now, body)},
		Body: string(body),
	})
	if err != nil || resp.StatusCode != 202 {
		w.t.Fatalf("post %s %v: %d %s %v", typ, data["id"], resp.StatusCode, resp.Body, err)
	}
}

// queued drains every kind's two queues and returns the messages found,
// with the lane of the queue each was found in.
func (w *wired) queued() []queuedMessage {
	w.t.Helper()
	var out []queuedMessage
	for _, k := range billing.Kinds {
		for lane, url := range map[queue.Lane]string{queue.LaneLive: w.res.Queues[k], queue.LaneBackfill: w.res.Backfill[k]} {
			for _, m := range drain(w.t, url) {
				out = append(out, queuedMessage{Message: m, queue: lane})
			}
		}
	}
	return out
}

type queuedMessage struct {
	queue.Message
	queue queue.Lane
}

func drain(t testing.TB, url string) []queue.Message {
	t.Helper()
	ctx := context.Background()
	var ms []queue.Message
	for {
		out, err := stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return ms
		}
		for _, r := range out.Messages {
			var m queue.Message
			if err := json.Unmarshal([]byte(aws.ToString(r.Body)), &m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
			if _, err := stack.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: r.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func customerData(id string) map[string]any {
	return map[string]any{"id": id, "version": 1, "display_name": "Customer " + id, "email": id + "@acme.example", "currency": "USD"}
}

func invoiceData(id string, version int, customer string) map[string]any {
	return map[string]any{"id": id, "version": version, "customer_id": customer, "number": strings.ToUpper(id),
		"status": "posted", "issued_on": "2026-11-30", "due_on": "2026-12-30", "currency": "USD",
		"lines": []any{map[string]any{"id": "li_1", "product_id": "prod_1", "description": "Plan", "quantity": "1", "unit_amount": 4900,
			"amount": 4900, "discount_amount": 0, "tax_amount": 0}},
		"subtotal": 4900, "discount_total": 0, "tax_total": 0, "total": 4900, "amount_due": 4900}
}

func paymentData(id, customer, invoice string) map[string]any {
	return map[string]any{"id": id, "version": 1, "customer_id": customer, "received_on": "2026-11-30",
		"amount": 4900, "currency": "USD", "method": "card",
		"applications": []any{map[string]any{"invoice_id": invoice, "amount": 4900}}}
}

// A tenant posts 130 events in one minute, beyond its live rate of 120.
// cus_1's customer and first invoice come before the threshold, its
// invoice's second version, its second invoice and its payment after
// it: every message of cus_1, whatever its kind, waits in one lane (the
// live lane, where its work began), so one customer's syncs still run
// one at a time. The customers new after the threshold are backfill.
func TestOneCustomersEventsStayInOneLane(t *testing.T) {
	w := newWired(t, "acme", stack.DynamoDB)
	w.post("acme", "product.created", map[string]any{"id": "prod_1", "version": 1, "name": "Plan", "active": true})
	w.post("acme", "customer.created", customerData("cus_1"))
	w.post("acme", "invoice.created", invoiceData("inv_1", 1, "cus_1"))
	for i := range 124 {
		w.post("acme", "customer.created", customerData(fmt.Sprintf("cus_f%d", i)))
	}
	w.post("acme", "invoice.updated", invoiceData("inv_1", 2, "cus_1"))
	w.post("acme", "invoice.created", invoiceData("inv_2", 1, "cus_1"))
	w.post("acme", "payment.created", paymentData("pay_1", "cus_1", "inv_1"))

	lanes := map[string]map[queue.Lane][]string{}
	for _, m := range w.queued() {
		if lanes[m.GroupID()] == nil {
			lanes[m.GroupID()] = map[queue.Lane][]string{}
		}
		lanes[m.GroupID()][m.queue] = append(lanes[m.GroupID()][m.queue], fmt.Sprintf("%s %s v%d", m.Kind, m.ID, m.Version))
		if m.Lane != m.queue {
			t.Errorf("%s %s v%d waits in the %s queue but says it is %s", m.Kind, m.ID, m.Version, m.queue, m.Lane)
		}
	}
	cus1 := lanes["acme#cus_1"]
	if len(cus1[queue.LaneBackfill]) > 0 || len(cus1[queue.LaneLive]) != 5 {
		t.Errorf("cus_1's messages: live %v, backfill %v; want all 5 live, none in backfill", cus1[queue.LaneLive], cus1[queue.LaneBackfill])
	}
	split, backfill := 0, 0
	for g, by := range lanes {
		if len(by) > 1 {
			split++
			t.Errorf("group %s split across lanes: live %v, backfill %v", g, by[queue.LaneLive], by[queue.LaneBackfill])
		}
		if len(by[queue.LaneBackfill]) > 0 {
			backfill++
		}
	}
	if backfill == 0 {
		t.Errorf("no customer of the 124 posted beyond the first minute's 120 events is in the backfill lane")
	}
	t.Logf("%d groups, %d in backfill, %d split", len(lanes), backfill, split)
}
