package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// IdempotencyHeader carries the event's id on every delivery; the body's
// "id" is the same value.
const IdempotencyHeader = "Idempotency-Key"

// Backoff says when a failed delivery is tried again, and when to stop.
type Backoff struct {
	// First is the wait after the first failure; each later wait doubles,
	// up to Max.
	First, Max time.Duration
	// Attempts is how many attempts are made before the delivery fails.
	Attempts int
}

// DefaultBackoff tries for about a day: 30 s, 1 min, 2 min … then hourly.
var DefaultBackoff = Backoff{First: 30 * time.Second, Max: time.Hour, Attempts: 30}

// after is the wait following the nth failed attempt (n >= 1).
func (b Backoff) after(n int) time.Duration {
	d := b.First
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// leaseTime is how long one attempt holds its event: longer than the
// request's timeout, shorter than the queue's visibility timeout, so an
// attempt that died is taken up again when its message returns.
const leaseTime = 30 * time.Second

// answerExcerpt is how much of the receiver's body the log keeps.
const answerExcerpt = 512

// Deliverer consumes the outbound queue: each message is one attempt to
// deliver one event to its tenant's endpoint.
type Deliverer struct {
	Store   *Store
	Client  *http.Client // with a timeout shorter than leaseTime
	Backoff Backoff
	Now     func() time.Time
	Log     *slog.Logger
}

// Handle is the SQS handler. Messages are independent (a standard queue
// keeps no order), so they are attempted concurrently; only our own
// infrastructure failing is reported back to SQS for a retry.
func (d *Deliverer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	failed := make([]bool, len(ev.Records))
	var wg sync.WaitGroup
	for i, rec := range ev.Records {
		wg.Go(func() {
			if err := d.handle(ctx, rec.Body); err != nil {
				d.Log.WarnContext(ctx, "outbound delivery will be retried", "message_id", rec.MessageId, "err", err)
				failed[i] = true
			}
		})
	}
	wg.Wait()
	var resp events.SQSEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp, nil
}

func (d *Deliverer) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Deliverer) handle(ctx context.Context, body string) error {
	var m message
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Tenant == "" || m.ID == "" {
		d.Log.ErrorContext(ctx, "dropping undecodable outbound message", "err", err)
		return nil
	}
	it, err := d.Store.item(ctx, m.Tenant, m.ID)
	if errors.Is(err, ErrNotFound) {
		d.Log.WarnContext(ctx, "dropping delivery of an unknown event", "tenant", m.Tenant, "event_id", m.ID)
		return nil
	}
	if err != nil {
		return err
	}
	now := d.now()
	switch {
	case it.Status != StatusPending:
		return nil
	case it.NextAt.Sub(now) > time.Second:
		// Due later than SQS's longest delay, or an older message.
		return d.Store.send(ctx, m.Tenant, m.ID, it.NextAt.Sub(now))
	}
	claimed, err := d.Store.claim(ctx, m.Tenant, it, now)
	if err != nil || !claimed {
		return err
	}
	ans, final := d.attempt(ctx, m.Tenant, it)
	return d.finish(ctx, m.Tenant, it, ans, final)
}

// attempt posts the event once and reports the receiver's answer; final
// when retrying cannot help: the tenant has no endpoint, and an admin
// redelivers once one is set.
func (d *Deliverer) attempt(ctx context.Context, tenant string, it eventItem) (ans Answer, final bool) {
	ans = Answer{At: d.now().UTC()}
	tg, err := d.Store.target(ctx, tenant)
	if errors.Is(err, ErrNoEndpoint) {
		ans.Error = "no endpoint for events to billing is set"
		return ans, true
	}
	if err != nil {
		ans.Error = "signing secrets could not be read"
		d.Log.ErrorContext(ctx, "open outbound endpoint", "tenant", tenant, "err", err)
		return ans, false
	}
	body, err := json.Marshal(Event{ID: it.ID, Type: it.Type, OccurredAt: it.OccurredAt, Data: json.RawMessage(it.Data)})
	if err != nil {
		ans.Error = "event could not be encoded"
		return ans, false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tg.url, bytes.NewReader(body))
	if err != nil {
		ans.Error = "endpoint URL is not usable"
		return ans, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "qbosync")
	req.Header.Set(IdempotencyHeader, it.ID)
	req.Header.Set(billing.SignatureHeader, Sign(tg.secrets, d.now(), body))
	res, err := d.Client.Do(req)
	if err != nil {
		ans.Error = transportError(err)
		return ans, false
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, answerExcerpt))
	ans.Status, ans.Body = res.StatusCode, strings.ToValidUTF8(string(excerpt), "")
	return ans, false
}

// transportError names why no answer came, without the URL (which may
// carry a receiver's token in its query).
func transportError(err error) string {
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return "no answer before the timeout"
	}
	return "connection failed"
}

// Sign returns the Billing-Signature of body at t under every secret
// (newest first): a receiver verifying with either secret of a rotation
// accepts it, as the inbound webhook does.
func Sign(secrets [][]byte, t time.Time, body []byte) string {
	header := ""
	for _, sec := range secrets {
		sig := billing.Sign(sec, t, body)
		if header == "" {
			header = sig
			continue
		}
		_, v1, _ := strings.Cut(sig, ",")
		header += "," + v1
	}
	return header
}

func (a Answer) ok() bool { return a.Status >= 200 && a.Status < 300 }

// finish records the attempt and, unless it succeeded or was the last,
// schedules the next one after the back-off.
func (d *Deliverer) finish(ctx context.Context, tenant string, it eventItem, ans Answer, final bool) error {
	attempts := it.Attempts + 1
	status, next := StatusDelivered, time.Time{}
	if !ans.ok() {
		status, next = StatusPending, d.now().Add(d.Backoff.after(attempts))
		if final || attempts >= d.Backoff.Attempts {
			status, next = StatusFailed, time.Time{}
		}
	}
	answers, err := appendAnswer(it.Answers, ans)
	if err != nil {
		return err
	}
	_, err = d.Store.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.Store.table, Key: store.Key(store.TenantPK(tenant), eventSK(it.ID)),
		UpdateExpression:         aws.String("SET #st = :st, answers = :answers, next_at = :next, lease_until = :zero"),
		ConditionExpression:      aws.String("attempts = :n"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":st": &types.AttributeValueMemberS{Value: status}, ":answers": answers,
			":next": unix(next), ":zero": unix(time.Time{}), ":n": unixN(int64(attempts)),
		},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		// A redeliver reset the event meanwhile; its own message goes on.
		return nil
	}
	if err != nil {
		return fmt.Errorf("record delivery attempt of %s: %w", it.ID, err)
	}
	d.Log.InfoContext(ctx, "outbound delivery attempted", "tenant", tenant, "event_id", it.ID, "type", it.Type,
		"attempt", attempts, "status", status, "answer_status", ans.Status, "answer_error", ans.Error)
	if status != StatusPending {
		return nil
	}
	return d.Store.send(ctx, tenant, it.ID, next.Sub(d.now()))
}

// claim takes the event for one attempt: a conditional update on the
// attempts it was read with and an expired lease, so of two messages for
// one event (a retried Record, a redeliver) only one attempts it.
func (s *Store) claim(ctx context.Context, tenant string, it eventItem, now time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: store.Key(store.TenantPK(tenant), eventSK(it.ID)),
		UpdateExpression:         aws.String("SET attempts = :next, lease_until = :lease"),
		ConditionExpression:      aws.String("#st = :pending AND attempts = :n AND lease_until <= :now"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": &types.AttributeValueMemberS{Value: StatusPending},
			":n":       unixN(int64(it.Attempts)), ":next": unixN(int64(it.Attempts + 1)),
			":now": unix(now), ":lease": unix(now.Add(leaseTime)),
		},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim outbound event %s: %w", it.ID, err)
	}
	return true, nil
}

func unix(t time.Time) types.AttributeValue { return unixN(t.Unix()) }

func unixN(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}
