package qbobatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/throttle"
)

// write is a request that can travel in a batch: a create, update or
// delete of one entity.
type write struct {
	realm     string
	name      string // Intuit's entity name, e.g. "Invoice"
	operation string // create, update, delete
	body      json.RawMessage
	base      string // everything before /v3/company/
}

// entityNames maps the lower-case path segment to Intuit's entity name;
// only these kinds are batched.
var entityNames = map[string]string{
	"customer": "Customer", "item": "Item", "invoice": "Invoice", "payment": "Payment",
	"creditmemo": "CreditMemo", "journalentry": "JournalEntry", "salesreceipt": "SalesReceipt",
	"refundreceipt": "RefundReceipt",
}

// parseWrite recognises POST .../v3/company/{realm}/{entity}?minorversion=…
// &requestid=… (and operation=delete): anything else, such as a void or a
// write with other options, goes out on its own.
func parseWrite(req *http.Request) (write, bool) {
	if req.Method != http.MethodPost || req.Body == nil {
		return write{}, false
	}
	base, rest, ok := strings.Cut(req.URL.Path, "/v3/company/")
	if !ok {
		return write{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 2 {
		return write{}, false
	}
	name, ok := entityNames[parts[1]]
	if !ok {
		return write{}, false
	}
	q := req.URL.Query()
	op := "create"
	for k, v := range q {
		switch {
		case k == "minorversion" || k == "requestid":
		case k == "operation" && len(v) == 1 && v[0] == "delete":
			op = "delete"
		default:
			return write{}, false
		}
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || !json.Valid(body) {
		return write{}, false
	}
	if op == "create" {
		var ident struct{ Id string }
		if json.Unmarshal(body, &ident) == nil && ident.Id != "" {
			op = "update"
		}
	}
	return write{realm: parts[0], name: name, operation: op, body: body, base: base}, true
}

// sendBatch sends hs (one company's writes) as one batch, or a lone write
// as it came, and answers each caller as QuickBooks would have answered
// its own call.
func (b *Batcher) sendBatch(hs []*held) {
	if len(hs) == 1 && !hs[0].patient {
		resp, err := b.base().RoundTrip(hs[0].req)
		hs[0].answer(result{resp, err})
		return
	}
	ctx, cancel := batchContext(hs)
	defer cancel()
	// A batch goes when the company's batch schedule has room now;
	// otherwise its writes go alone on the request schedule rather than
	// wait, so a busy company spends both schedules. A bunch's batch
	// waits: its writes were turned away by the request schedule.
	if !hs[0].patient {
		ctx = throttle.BatchNow(ctx)
	}
	req, sent, err := batchRequest(ctx, hs)
	if err != nil {
		for _, h := range hs {
			h.answer(result{err: err})
		}
		return
	}
	resp, err := b.sendRecorded(req, sent)
	var claimed *ClaimedError
	if errors.As(err, &claimed) && b.sendUnclaimed(hs, claimed.RequestIDs) {
		return
	}
	var te *throttle.Error
	if errors.As(err, &te) && te.Batch {
		// Refused before it was recorded or sent.
		b.sendAlone(hs)
		return
	}
	if err != nil {
		for _, h := range hs {
			h.answer(result{err: err})
		}
		return
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		// The batch as a whole failed (throttled, unavailable): every
		// write gets that answer.
		for _, h := range hs {
			if err != nil {
				h.answer(result{err: err})
				continue
			}
			h.answer(result{resp: copyResponse(resp, resp.StatusCode, data, h.req)})
		}
		return
	}
	split(resp, data, hs)
}

// sendUnclaimed sends the writes of a batch whose record found the
// creates named by taken claimed by another send: those go out alone
// with their requestid, which QuickBooks answers as the other send's,
// and the rest as a new batch. It reports false, sending nothing, when
// taken names none of hs.
func (b *Batcher) sendUnclaimed(hs []*held, taken []string) bool {
	alone := map[string]bool{}
	for _, id := range taken {
		alone[id] = true
	}
	var rest, solo []*held
	for _, h := range hs {
		if alone[h.req.URL.Query().Get("requestid")] {
			solo = append(solo, h)
		} else {
			rest = append(rest, h)
		}
	}
	if len(solo) == 0 {
		return false
	}
	b.sendAlone(solo)
	if len(rest) > 0 {
		b.sendBatch(rest)
	}
	return true
}

// sendAlone sends each write as it came, with its own requestid.
func (b *Batcher) sendAlone(hs []*held) {
	for _, h := range hs {
		go func() {
			resp, err := b.base().RoundTrip(h.req)
			h.answer(result{resp, err})
		}()
	}
}

// answer gives r to h's caller and, as a copy, to each of its twins.
func (h *held) answer(r result) {
	if len(h.twins) == 0 {
		h.done <- r
		return
	}
	var body []byte
	if r.resp != nil {
		body, _ = io.ReadAll(r.resp.Body)
		r.resp.Body.Close()
		r.resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	h.done <- r
	for _, t := range h.twins {
		if r.resp == nil {
			t.done <- result{err: r.err}
			continue
		}
		t.done <- result{resp: copyResponse(r.resp, r.resp.StatusCode, body, t.req)}
	}
}

// batchContext is the batch's context: not the first caller's, whose
// cancellation must not cut the others' writes, but ending with the
// earliest deadline among them (their function's), so that every caller,
// waiting for the batch's answer, still returns in time.
func batchContext(hs []*held) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(hs[0].req.Context())
	var end time.Time
	for _, h := range hs {
		if d, ok := h.req.Context().Deadline(); ok && (end.IsZero() || d.Before(end)) {
			end = d
		}
	}
	if end.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, end)
}

// batchRequest builds the batch of hs under a new requestid and returns
// it as sent, naming the creates it carries.
func batchRequest(ctx context.Context, hs []*held) (*http.Request, Sent, error) {
	first := hs[0]
	sent := Sent{Realm: first.write.realm, RequestID: newBatchID(), Creates: map[string]string{}}
	items := make([]map[string]any, len(hs))
	for i, h := range hs {
		bID := strconv.Itoa(i + 1)
		items[i] = map[string]any{"bId": bID, "operation": h.write.operation, h.write.name: h.write.body}
		if id := h.req.URL.Query().Get("requestid"); id != "" && h.write.operation == "create" {
			sent.Creates[id] = bID
		}
	}
	var err error
	if sent.Body, err = json.Marshal(map[string]any{"BatchItemRequest": items}); err != nil {
		return nil, sent, fmt.Errorf("encode batch: %w", err)
	}
	u := *first.req.URL
	u.Path = first.write.base + "/v3/company/" + first.write.realm + "/batch"
	q := url.Values{"minorversion": {first.req.URL.Query().Get("minorversion")}, "requestid": {sent.RequestID}}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(sent.Body))
	if err != nil {
		return nil, sent, err
	}
	req.Header = first.req.Header.Clone()
	req.Header.Set("Content-Type", "application/json")
	return req, sent, nil
}

// split answers each held write from its item of the batch response: 200
// with the object, or 400 with the item's Fault, as a single call would.
func split(resp *http.Response, data []byte, hs []*held) {
	var env struct {
		BatchItemResponse []map[string]json.RawMessage
		Time              json.RawMessage `json:"time"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		for _, h := range hs {
			h.answer(result{resp: copyResponse(resp, http.StatusBadGateway, data, h.req)})
		}
		return
	}
	byID := map[string]map[string]json.RawMessage{}
	for _, item := range env.BatchItemResponse {
		var id string
		_ = json.Unmarshal(item["bId"], &id)
		byID[id] = item
	}
	for i, h := range hs {
		h.answer(result{resp: answerOf(resp, byID[strconv.Itoa(i+1)], env.Time, h.write.name, h.req)})
	}
}

// faultStatus is the status a single call would have answered an item's
// Fault with: a system fault is QuickBooks failing (500), anything else a
// refusal of the request (400).
func faultStatus(fault json.RawMessage) int {
	var f struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(fault, &f) == nil && strings.EqualFold(f.Type, "SystemFault") {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func copyResponse(resp *http.Response, status int, body []byte, req *http.Request) *http.Response {
	return &http.Response{
		Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
		Header: resp.Header.Clone(), Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}
