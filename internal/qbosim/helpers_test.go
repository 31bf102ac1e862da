package qbosim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// start is the simulated "now" of every test company.
var start = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// sim is one simulator with one company, driven over real HTTP.
type sim struct {
	t     *testing.T
	url   string
	srv   *qbosim.Server
	clock *qbosimtest.Clock
	co    qbosimtest.Company
	// intuit is set in conformance mode: url is Intuit's sandbox and there
	// is no srv, clock or control surface.
	intuit bool

	mu     sync.Mutex
	sleeps []time.Duration // what the server asked to sleep, instead of sleeping
}

type simOption func(*standalone.Options)

func unlimited(o *standalone.Options) { o.RatePerMinute, o.MaxConcurrent = -1, -1 }

// newSim starts a simulator with a clock stopped at start and a company in
// country (US when empty).
func newSim(t *testing.T, country string, opts ...simOption) *sim {
	t.Helper()
	s := &sim{t: t, clock: qbosimtest.NewClock(start)}
	o := standalone.Options{Now: s.clock.Now, Sleep: s.sleep}
	for _, opt := range opts {
		opt(&o)
	}
	s.url, s.srv = qbosimtest.NewServerWith(t, o)
	s.co = qbosimtest.NewCompany(t, s.url, country, "")
	return s
}

func (s *sim) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	s.sleeps = append(s.sleeps, d)
	s.mu.Unlock()
}

func (s *sim) slept() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.sleeps...)
}

// result is a decoded response.
type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// api calls /v3/company/{realm}/path with the company's token. body is sent
// as JSON unless it is a string.
func (s *sim) api(method, path string, body any) result {
	s.t.Helper()
	return s.apiAs(s.co.AccessToken, method, path, body)
}

func (s *sim) apiAs(token, method, path string, body any) result {
	s.t.Helper()
	return s.apiIn(s.co.RealmID, token, method, path, body)
}

// apiIn calls the API of any realm.
func (s *sim) apiIn(realm, token, method, path string, body any) result {
	s.t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd, contentType = strings.NewReader(b), "application/text"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("encode request: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+"/v3/company/"+realm+"/"+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.send(req)
}

func (s *sim) send(req *http.Request) result {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := result{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 && raw[0] != '<' {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", req.Method, req.URL.Path, raw, err)
		}
	}
	return r
}

// control calls the control surface /_sim/companies/{realm}/path ("" for
// the company itself).
func (s *sim) control(method, path string, body any) result {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	u := s.url + "/_sim/companies/" + s.co.RealmID
	if path != "" {
		u += "/" + path
	}
	req, _ := http.NewRequest(method, u, rd)
	return s.send(req)
}

func (s *sim) prefs(p map[string]any) {
	s.t.Helper()
	if r := s.control(http.MethodPatch, "preferences", p); r.status != http.StatusOK {
		s.t.Fatalf("patch preferences %v: %d %s", p, r.status, r.raw)
	}
}

// ok posts an entity write and returns the entity from a 200 response.
func (s *sim) ok(entity, query string, body any) map[string]any {
	s.t.Helper()
	r := s.api(http.MethodPost, strings.ToLower(entity)+query, body)
	if r.status != http.StatusOK {
		s.t.Fatalf("POST %s%s: status %d: %s", entity, query, r.status, r.raw)
	}
	return obj(r.body, entity)
}

func (s *sim) read(entity, id string) map[string]any {
	s.t.Helper()
	r := s.api(http.MethodGet, strings.ToLower(entity)+"/"+id, nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("read %s %s: %d %s", entity, id, r.status, r.raw)
	}
	return obj(r.body, entity)
}

func (s *sim) query(q string) map[string]any {
	s.t.Helper()
	r := s.api(http.MethodGet, "query?minorversion=75&query="+url.QueryEscape(q), nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("query %q: %d %s", q, r.status, r.raw)
	}
	return obj(r.body, "QueryResponse")
}

// wantFault checks a response is Intuit's Fault with the status and code.
func wantFault(t *testing.T, r result, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.raw)
	}
	return wantFaultBody(t, r.body, code)
}

func wantFaultBody(t *testing.T, body map[string]any, code string) map[string]any {
	t.Helper()
	f := obj(body, "Fault")
	errs, _ := f["Error"].([]any)
	if f == nil || len(errs) != 1 {
		t.Fatalf("no Fault with one Error in %v", body)
	}
	e := errs[0].(map[string]any)
	if got := e["code"]; got != code {
		t.Fatalf("fault code = %v, want %s: %v", got, code, e)
	}
	return e
}

// customer creates a customer and returns its Id.
func (s *sim) customer(name string) string {
	s.t.Helper()
	return str(s.ok("Customer", "", map[string]any{"DisplayName": name}), "Id")
}

// itemLine is a SalesItemLineDetail line on the default item.
func itemLine(amount string) map[string]any {
	return map[string]any{"Amount": json.Number(amount), "DetailType": "SalesItemLineDetail",
		"SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": "15"}}}
}

func refTo(id string) map[string]any { return map[string]any{"value": id} }

// invoice creates an invoice of one line for a customer.
func (s *sim) invoice(custID, amount string, extra map[string]any) map[string]any {
	s.t.Helper()
	body := map[string]any{"CustomerRef": refTo(custID), "Line": []any{itemLine(amount)}}
	for k, v := range extra {
		body[k] = v
	}
	return s.ok("Invoice", "", body)
}

func payLine(amount, txnType, id string) map[string]any {
	return map[string]any{"Amount": json.Number(amount), "LinkedTxn": []any{map[string]any{"TxnId": id, "TxnType": txnType}}}
}

// ledger is the JSON of the ledger view.
type ledger struct {
	Customers []struct {
		ID                string `json:"id"`
		DisplayName       string `json:"display_name"`
		Currency          string `json:"currency"`
		OpenAR            string `json:"open_ar"`
		OpenInvoices      string `json:"open_invoices"`
		UnappliedPayments string `json:"unapplied_payments"`
		RemainingCredits  string `json:"remaining_credits"`
		JournalCharges    string `json:"journal_charges"`
		JournalCredits    string `json:"journal_credits"`
		Invoices          []struct {
			ID        string `json:"id"`
			DocNumber string `json:"doc_number"`
			TotalAmt  string `json:"total_amt"`
			Balance   string `json:"balance"`
			Voided    bool   `json:"voided"`
		} `json:"invoices"`
	} `json:"customers"`
	Accounts []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Type    string `json:"type"`
		SubType string `json:"subtype"`
		Debits  string `json:"debits"`
		Credits string `json:"credits"`
		Balance string `json:"balance"`
	} `json:"accounts"`
	TotalDebits  string `json:"total_debits"`
	TotalCredits string `json:"total_credits"`
	Balanced     bool   `json:"balanced"`
}

func (s *sim) ledger() ledger {
	s.t.Helper()
	r := s.control(http.MethodGet, "ledger", nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("ledger: %d %s", r.status, r.raw)
	}
	var l ledger
	if err := json.Unmarshal([]byte(r.raw), &l); err != nil {
		s.t.Fatal(err)
	}
	if !l.Balanced {
		s.t.Errorf("ledger not balanced: debits %s, credits %s", l.TotalDebits, l.TotalCredits)
	}
	return l
}

// accountBalance returns an account's balance by name from the ledger.
func (l ledger) account(name string) string {
	for _, a := range l.Accounts {
		if a.Name == name {
			return a.Balance
		}
	}
	return fmt.Sprintf("<no account %q>", name)
}

func (l ledger) openAR(custID string) string {
	for _, c := range l.Customers {
		if c.ID == custID {
			return c.OpenAR
		}
	}
	return "<no customer " + custID + ">"
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

func str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

func list(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}

// wantAmounts compares named money properties of an entity.
func wantAmounts(t *testing.T, e map[string]any, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got := str(e, k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
