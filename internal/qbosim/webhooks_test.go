package qbosim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
)

// receiver is an endpoint that records what the simulator delivers and
// answers with the scripted statuses, then 200.
type receiver struct {
	t   *testing.T
	url string

	mu      sync.Mutex
	answers []int
	got     []delivered
}

type delivered struct {
	body      []byte
	signature string
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{t: t, answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivered{body: body, signature: req.Header.Get("intuit-signature")})
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// wait returns the deliveries once n arrived.
func (r *receiver) wait(n int) []delivered {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := append([]delivered(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("%d deliveries, want %d", len(r.got), n)
	return nil
}

func (s *sim) simControl(method, path string, body any) result {
	s.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.url+"/_sim/"+path, bytes.NewReader(data))
	return s.send(req)
}

func (s *sim) subscribe(endpoint string, extra map[string]any) {
	s.t.Helper()
	body := map[string]any{"endpoint": endpoint, "verifier_token": "verifier-1", "batch_window_ms": 0}
	for k, v := range extra {
		body[k] = v
	}
	if r := s.simControl(http.MethodPut, "webhooks", body); r.status != http.StatusOK {
		s.t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
}

type cloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	DataContentType string          `json:"datacontenttype"`
	Time            time.Time       `json:"time"`
	EntityID        string          `json:"intuitentityid"`
	AccountID       string          `json:"intuitaccountid"`
	Data            json.RawMessage `json:"data"`
}

func events(t *testing.T, ds []delivered) []cloudEvent {
	t.Helper()
	var out []cloudEvent
	for _, d := range ds {
		var evs []cloudEvent
		if err := json.Unmarshal(d.body, &evs); err != nil {
			t.Fatalf("body %s: %v", d.body, err)
		}
		out = append(out, evs...)
	}
	return out
}

// Intuit's own test vector (NET-SDK WebhooksServiceTest, shared/spec/qbo/SOURCE.txt).
func TestSignMatchesIntuitTestVector(t *testing.T) {
	body := []byte(`{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor","id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer","id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}`)
	if got := qbosim.Sign("00faeec4-08d0-4996-bb37-698ae19f0149", body); got != "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM=" {
		t.Errorf("signature = %s", got)
	}
}

// A payment recorded through the API is announced as CloudEvents: the
// payment created and the invoice it paid updated, signed under the
// verifier token.
func TestWebhookAnnouncesAPIChangesAsSignedCloudEvents(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	rcv := newReceiver(t)
	cust := s.customer("Hook Co")
	inv := str(s.invoice(cust, "100", nil), "Id")
	s.subscribe(rcv.url, nil)
	p := s.ok("Payment", "", map[string]any{"CustomerRef": refTo(cust), "TotalAmt": json.Number("40"),
		"Line": []any{payLine("40", "Invoice", inv)}})
	got := rcv.wait(1)
	for _, d := range got {
		if want := qbosim.Sign("verifier-1", d.body); d.signature != want {
			t.Errorf("intuit-signature %q, want %q", d.signature, want)
		}
	}
	evs := events(t, got)
	if len(evs) != 2 {
		t.Fatalf("events %+v, want the payment and the invoice", evs)
	}
	pay, paid := evs[0], evs[1]
	if pay.Type != "qbo.payment.created.v1" || pay.EntityID != str(p, "Id") || pay.AccountID != s.co.RealmID ||
		pay.SpecVersion != "1.0" || pay.DataContentType != "application/json" || pay.ID == "" || pay.Time.IsZero() {
		t.Errorf("payment event %+v", pay)
	}
	if paid.Type != "qbo.invoice.updated.v1" || paid.EntityID != inv || paid.ID == pay.ID {
		t.Errorf("invoice event %+v", paid)
	}
	// Voided through operation=update&include=void: a voided event.
	s.ok("Payment", "?operation=update&include=void", map[string]any{"Id": str(p, "Id"), "SyncToken": str(p, "SyncToken")})
	if evs := events(t, rcv.wait(2)[1:]); len(evs) == 0 || evs[0].Type != "qbo.payment.voided.v1" {
		t.Errorf("after the void: %+v", evs)
	}
}

// The legacy shape groups entities per realm under eventNotifications.
func TestWebhookLegacyFormat(t *testing.T) {
	s := newSim(t, "")
	rcv := newReceiver(t)
	s.subscribe(rcv.url, map[string]any{"format": "legacy"})
	cust := s.customer("Legacy Co")
	var body struct {
		EventNotifications []struct {
			RealmID         string `json:"realmId"`
			DataChangeEvent struct {
				Entities []struct{ Name, ID, Operation, LastUpdated string }
			} `json:"dataChangeEvent"`
		} `json:"eventNotifications"`
	}
	if err := json.Unmarshal(rcv.wait(1)[0].body, &body); err != nil {
		t.Fatal(err)
	}
	n := body.EventNotifications
	if len(n) != 1 || n[0].RealmID != s.co.RealmID || len(n[0].DataChangeEvent.Entities) != 1 {
		t.Fatalf("notifications %+v", n)
	}
	e := n[0].DataChangeEvent.Entities[0]
	if e.Name != "Customer" || e.ID != cust || e.Operation != "Create" || e.LastUpdated == "" {
		t.Errorf("entity %+v", e)
	}
}

// A delivery refused is retried, and later changes wait behind it.
func TestWebhookRetriesUntilAcknowledged(t *testing.T) {
	s := newSim(t, "")
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	s.subscribe(rcv.url, nil)
	s.customer("Retry Co")
	got := rcv.wait(3)
	if !bytes.Equal(got[0].body, got[2].body) {
		t.Errorf("redelivery differs: %s vs %s", got[0].body, got[2].body)
	}
	var out struct{ Deliveries []qbosim.Delivery }
	r := s.simControl(http.MethodGet, "webhooks/deliveries", nil)
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil || len(out.Deliveries) != 1 {
		t.Fatalf("deliveries %s", r.raw)
	}
	if d := out.Deliveries[0]; d.Attempts != 3 || d.Status != "delivered" {
		t.Errorf("delivery %+v", d)
	}
	// Intuit's schedule: 10 s, then 20 s.
	var waits []time.Duration
	for _, d := range s.slept() {
		if d >= 10*time.Second {
			waits = append(waits, d)
		}
	}
	if len(waits) < 2 || waits[0] != 10*time.Second || waits[1] != 20*time.Second {
		t.Errorf("waits %v, want 10s then 20s", waits)
	}
}

// Faults drop a delivery (never sent) or send one twice (same event ids).
func TestWebhookFaultsDropAndDuplicate(t *testing.T) {
	s := newSim(t, "")
	rcv := newReceiver(t)
	s.subscribe(rcv.url, nil)
	if r := s.simControl(http.MethodPost, "webhooks/faults", map[string]any{"drop": 1}); r.status != http.StatusCreated {
		t.Fatalf("fault: %d %s", r.status, r.raw)
	}
	s.customer("Dropped Co")
	s.simControl(http.MethodPost, "webhooks/faults", map[string]any{"duplicate": 1})
	kept := s.customer("Twice Co")
	got := rcv.wait(2)
	evs := events(t, got)
	if len(evs) != 2 || evs[0].ID != evs[1].ID || evs[0].EntityID != kept {
		t.Fatalf("events %+v, want Twice Co's twice", evs)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(rcv.wait(2)); n != 2 {
		t.Errorf("%d deliveries, want 2 (the dropped one never sent)", n)
	}
}
