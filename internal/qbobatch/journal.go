package qbobatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// A batch carries no requestid per item, only one for the whole batch,
// and QuickBooks replays that batch's answer only to a request with the
// same requestid and body. So a create sent in a batch is exactly-once
// only if its retry sends that very batch again: the batcher records
// every batch that carries a create before sending it, and a retried
// create replays its batch instead of going out anew.
//
// Two syncs of one entity can run at once, so a retry may be sent while
// the create's first attempt still waits in a batch for admission. Each
// create is therefore claimed by one carrier, a batch or a send on its
// own, before it leaves: a batch whose record finds one of its creates
// already claimed carries it no more, and sends it alone with its
// requestid, which QuickBooks recognises as the other send's.

// Sent is a batch as it went to QuickBooks.
type Sent struct {
	Realm     string
	RequestID string            // the batch's own requestid
	Body      []byte            // the request body, byte for byte
	Creates   map[string]string // bId of each create it carries, by the create's requestid
}

// Journal keeps the batches that carried creates for as long as a lost
// answer may be retried.
type Journal interface {
	// RecordBatch stores s and claims every create it carries for it, in
	// one write, once s is admitted by the company's schedule, just before
	// it is sent. If another send claimed some of them first it stores
	// nothing and returns a *ClaimedError naming them.
	RecordBatch(ctx context.Context, s Sent) error
	// ClaimAlone claims the create with requestID in realm for a send on
	// its own, unless a batch carried it: then it returns that batch with
	// ok true. A create claimed alone before stays claimed alone.
	ClaimAlone(ctx context.Context, realm, requestID string) (s Sent, ok bool, err error)
}

// ClaimedError is RecordBatch's refusal: the creates with these
// requestids were claimed by another send before the batch.
type ClaimedError struct {
	Batch      string
	RequestIDs []string
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("batch %s: creates %s already claimed by another send", e.Batch, strings.Join(e.RequestIDs, ", "))
}

type retryKey struct{}

// Retrying marks ctx's writes as retries of an earlier attempt whose
// answer may have been lost. A retried create never joins a new batch: it
// replays the batch that carried it, or goes out alone with its
// requestid, so QuickBooks recognises it either way.
func Retrying(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryKey{}, true)
}

func retrying(ctx context.Context) bool {
	v, _ := ctx.Value(retryKey{}).(bool)
	return v
}

// newBatchID is a fresh requestid for one batch: 32 hex digits, within
// Intuit's 36 for batches. It is random, not derived from the writes, so
// that writes retried together after a failure inside QuickBooks are a
// new batch and not a replay of the failed one.
func newBatchID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// admittedRoundTripper sends a request after calling admitted once the
// company's schedule admitted it (throttle.Transport).
type admittedRoundTripper interface {
	RoundTripAdmitted(req *http.Request, admitted func(context.Context) error) (*http.Response, error)
}

// sendRecorded sends a batch that carries creates, recording it first.
// Recorded only once admitted: a batch the schedule refused was never
// sent, its syncs may create anew under new requestids, and a record of
// it would let a later replay carry its creates out a second time.
func (b *Batcher) sendRecorded(req *http.Request, s Sent) (*http.Response, error) {
	if len(s.Creates) == 0 || b.Journal == nil {
		return b.base().RoundTrip(req)
	}
	record := func(ctx context.Context) error { return b.Journal.RecordBatch(ctx, s) }
	if a, ok := b.base().(admittedRoundTripper); ok {
		return a.RoundTripAdmitted(req, record)
	}
	if err := record(req.Context()); err != nil {
		return nil, err
	}
	return b.base().RoundTrip(req)
}

// retryCreate sends a retried create: the batch that carried it, when it
// went in one, or the create alone.
func (b *Batcher) retryCreate(req *http.Request, w write) (*http.Response, error) {
	id := req.URL.Query().Get("requestid")
	if b.Journal == nil || id == "" {
		return b.base().RoundTrip(req)
	}
	s, ok, err := b.Journal.ClaimAlone(req.Context(), w.realm, id)
	if err != nil {
		return nil, fmt.Errorf("claim create %s: %w", id, err)
	}
	if !ok {
		return b.base().RoundTrip(req)
	}
	resp, err := b.base().RoundTrip(replayRequest(req, w, s))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read replayed batch: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return copyResponse(resp, resp.StatusCode, data, req), nil
	}
	answer := itemAnswer(resp, data, s.Creates[id], w.name, req)
	if answer.StatusCode == http.StatusInternalServerError {
		// QuickBooks failed this item inside the batch and will replay
		// that failure for ever: nothing was created, so send it alone.
		answer.Body.Close()
		return b.base().RoundTrip(req)
	}
	return answer, nil
}

// replayRequest is s sent again, with req's credentials.
func replayRequest(req *http.Request, w write, s Sent) *http.Request {
	u := *req.URL
	u.Path = w.base + "/v3/company/" + w.realm + "/batch"
	q := u.Query()
	q.Del("requestid")
	q.Set("requestid", s.RequestID)
	u.RawQuery = q.Encode()
	r := req.Clone(req.Context())
	r.URL = &u
	r.Host = ""
	r.Body = io.NopCloser(strings.NewReader(string(s.Body)))
	r.ContentLength = int64(len(s.Body))
	r.GetBody = nil
	r.Header.Set("Content-Type", "application/json")
	return r
}

// itemAnswer is the answer a single call would have got for item bID of
// a batch response.
func itemAnswer(resp *http.Response, data []byte, bID, name string, req *http.Request) *http.Response {
	var env struct {
		BatchItemResponse []map[string]json.RawMessage
		Time              json.RawMessage `json:"time"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return copyResponse(resp, http.StatusBadGateway, data, req)
	}
	for _, item := range env.BatchItemResponse {
		var id string
		_ = json.Unmarshal(item["bId"], &id)
		if id == bID {
			return answerOf(resp, item, env.Time, name, req)
		}
	}
	return answerOf(resp, nil, env.Time, name, req)
}

// answerOf turns one batch item into a single call's answer: 200 with the
// object, or the item's Fault with the status a single call gets.
func answerOf(resp *http.Response, item map[string]json.RawMessage, at json.RawMessage, name string, req *http.Request) *http.Response {
	status, out := http.StatusOK, map[string]json.RawMessage{"time": at}
	switch {
	case item == nil:
		status = http.StatusBadGateway
		out["Fault"] = json.RawMessage(`{"Error":[{"Message":"the batch answer left this item out","code":"0"}],"type":"SystemFault"}`)
	case item["Fault"] != nil:
		status = faultStatus(item["Fault"])
		out["Fault"] = item["Fault"]
	default:
		out[name] = item[name]
	}
	body, _ := json.Marshal(out)
	return copyResponse(resp, status, body, req)
}
