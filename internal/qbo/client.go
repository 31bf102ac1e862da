package qbo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"golang.org/x/oauth2"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MinorVersion is the minor version sent when no WithMinorVersion is given.
// Intuit ignores anything lower since August 2025.
const MinorVersion = 75

// maxBody bounds what is read of one response (a page of 1000 invoices
// is a few MB).
const maxBody = 64 << 20

// Client calls the QBO Accounting API. It is safe for concurrent use.
type Client struct {
	hc       *http.Client
	base     string
	minor    string
	observer func(op string, status int, d time.Duration)
	hook     func(context.Context, Call)
}

// Call describes one finished HTTP exchange with QBO.
type Call struct {
	Op        string // "create Invoice", "query Customer", "batch", ...
	RealmID   string
	RequestID string // empty for reads
	Status    int    // 0 when no response arrived
	IntuitTID string // Intuit's transaction id of the response
	Duration  time.Duration
	Err       error // nil on success
}

// Option configures a Client.
type Option func(*Client)

// WithObserver calls fn after every HTTP exchange, e.g. to count calls.
func WithObserver(fn func(op string, status int, d time.Duration)) Option {
	return func(c *Client) { c.observer = fn }
}

// WithCallHook calls fn after every HTTP exchange with the caller's
// context, so the caller can log the intuit_tid of writes that succeeded.
func WithCallHook(fn func(ctx context.Context, call Call)) Option {
	return func(c *Client) { c.hook = fn }
}

// WithMinorVersion pins another minor version than MinorVersion.
func WithMinorVersion(v int) Option {
	return func(c *Client) { c.minor = strconv.Itoa(v) }
}

// New returns a client for the API at baseURL (https://quickbooks.api.intuit.com
// or the sandbox host; the /v3/company/{realmId} path is added per call).
// httpClient must add the Authorization header, e.g. one from oauth2.NewClient.
func New(httpClient *http.Client, baseURL string, opts ...Option) *Client {
	c := &Client{hc: httpClient, base: strings.TrimRight(baseURL, "/"), minor: strconv.Itoa(MinorVersion)}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithToken returns a client like hc (nil: http.DefaultClient) that sends
// accessToken as the bearer token of every request.
func WithToken(hc *http.Client, accessToken string) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Timeout: hc.Timeout, Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken}), Base: base}}
}

// Request is one Accounting API call.
type Request struct {
	Op          string // "create Invoice", "query Customer": names the call in errors
	Method      string
	RealmID     string
	Path        string // below /v3/company/{realmId}/, already escaped
	Params      url.Values
	Body        []byte
	ContentType string
	RequestID   string
}

// Doer sends one request and returns the answer's top-level object, or
// an *Error. *Client sends it over HTTP; every operation of this package
// takes a Doer, so a test can answer in memory.
type Doer interface {
	Do(ctx context.Context, r Request) (Envelope, error)
}

// Envelope is a response's top-level object: {"Invoice": {...}, "time": ...}.
type Envelope map[string]json.RawMessage

// Do sends r once and returns the response object, or an *Error.
func (c *Client) Do(ctx context.Context, r Request) (Envelope, error) {
	if r.RealmID == "" {
		return nil, invalid(r.Op, "empty realm id")
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, c.url(r), body)
	if err != nil {
		return nil, invalid(r.Op, "%v", err)
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		e := &Error{Op: r.Op, Err: err}
		c.report(ctx, r, 0, "", time.Since(start), e)
		return nil, e
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	tid := resp.Header.Get("intuit_tid")
	env, e := parse(r.Op, resp.StatusCode, tid, data, err)
	c.report(ctx, r, resp.StatusCode, tid, time.Since(start), e)
	if e != nil {
		return nil, e
	}
	return env, nil
}

// parse turns a response into its Envelope or an *Error; a Fault inside a
// 2xx response is an error too.
func parse(op string, status int, tid string, body []byte, readErr error) (Envelope, *Error) {
	if readErr != nil {
		return nil, &Error{Status: status, IntuitTID: tid, Op: op, Err: fmt.Errorf("read response: %w", readErr)}
	}
	if status < 200 || status > 299 {
		return nil, httpError(op, status, tid, body)
	}
	env := Envelope{}
	if len(bytes.TrimSpace(body)) == 0 {
		return env, nil
	}
	if err := json.Unmarshal(body, &env); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
			if e := httpError(op, status, tid, body); e.Code != "" {
				return nil, e
			}
		}
		return nil, malformed(op, status, tid, "%v", err)
	}
	if raw, ok := env.field("Fault"); ok {
		var f jsonFault
		if err := json.Unmarshal(raw, &f); err != nil || len(f.Error) == 0 {
			return nil, malformed(op, status, tid, "unreadable Fault")
		}
		return nil, faultError(op, status, tid, f.Type, f.faults())
	}
	return env, nil
}

// field returns the member named name, matched case-insensitively as
// encoding/json does.
func (env Envelope) field(name string) (json.RawMessage, bool) {
	if raw, ok := env[name]; ok {
		return raw, true
	}
	for k, raw := range env {
		if strings.EqualFold(k, name) {
			return raw, true
		}
	}
	return nil, false
}

// decode unmarshals member name into v.
func (env Envelope) decode(op, name string, v any) error {
	raw, ok := env.field(name)
	if !ok {
		return malformed(op, http.StatusOK, "", "no %s in response", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return malformed(op, http.StatusOK, "", "%s: %v", name, err)
	}
	return nil
}

func (c *Client) url(r Request) string {
	q := url.Values{}
	for k, v := range r.Params {
		q[k] = v
	}
	q.Set("minorversion", c.minor)
	if r.RequestID != "" {
		q.Set("requestid", r.RequestID)
	}
	return c.base + "/v3/company/" + url.PathEscape(r.RealmID) + "/" + r.Path + "?" + q.Encode()
}

func (c *Client) report(ctx context.Context, r Request, status int, tid string, d time.Duration, e *Error) {
	if c.observer != nil {
		c.observer(r.Op, status, d)
	}
	if c.hook != nil {
		call := Call{Op: r.Op, RealmID: r.RealmID, RequestID: r.RequestID, Status: status, IntuitTID: tid, Duration: d}
		if e != nil {
			call.Err = e
		}
		c.hook(ctx, call)
	}
}

// Parse turns an Accounting API answer (status and body) into its
// envelope or an *Error, as Do does: an in-memory company answers with
// Intuit's bodies and its faults read exactly as real ones.
func Parse(op string, status int, body []byte) (Envelope, error) {
	env, e := parse(op, status, "", body, nil)
	if e != nil {
		return nil, e
	}
	return env, nil
}
