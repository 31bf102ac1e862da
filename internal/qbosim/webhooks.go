package qbosim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Intuit's delivery rules (REFERENCE §7, from Intuit's webhooks
// best-practices page and its 2025-11-12 CloudEvents announcement).
const (
	// maxNoticesPerDelivery: one CloudEvents delivery holds up to 100 events.
	maxNoticesPerDelivery = 100
	// deliveryTimeout: a delivery not answered 200 within 3 s has failed.
	deliveryTimeout = 3 * time.Second
	// defaultBatchWindow is how long changes are collected before they are
	// sent together.
	defaultBatchWindow = time.Second
)

// intuitRetries are the waits before each redelivery of a failed delivery;
// after the last, every 6 hours.
var intuitRetries = []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second,
	5 * time.Minute, 20 * time.Minute, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour}

// Webhook formats.
const (
	FormatCloudEvents = "cloudevents"
	FormatLegacy      = "legacy"
)

// WebhookConfig is the app's webhook subscription: where notifications go,
// the verifier token that signs them and their shape. The simulator serves
// one app (its OAuth client), so there is one subscription.
type WebhookConfig struct {
	Endpoint      string `json:"endpoint"`
	VerifierToken string `json:"verifier_token,omitempty"`
	// Format is cloudevents (default, Intuit's format since 15 May 2026)
	// or legacy (eventNotifications).
	Format string `json:"format,omitempty"`
	// BatchWindowMS is how long changes are collected into one delivery
	// (default 1000).
	BatchWindowMS *int `json:"batch_window_ms,omitempty"`
	// RetrySeconds replaces Intuit's redelivery schedule (10 s, 20 s,
	// 30 s, 5 min, 20 min, 2 h, 4 h, 6 h, then every 6 h), for tests.
	RetrySeconds []int `json:"retry_seconds,omitempty"`
}

func (c WebhookConfig) validate() error {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("endpoint must be an absolute http(s) URL")
	}
	if c.VerifierToken == "" {
		return errors.New("verifier_token is required")
	}
	if c.Format != "" && c.Format != FormatCloudEvents && c.Format != FormatLegacy {
		return errors.New("format must be cloudevents or legacy")
	}
	if c.BatchWindowMS != nil && *c.BatchWindowMS < 0 {
		return errors.New("batch_window_ms must not be negative")
	}
	for _, s := range c.RetrySeconds {
		if s < 0 {
			return errors.New("retry_seconds must not be negative")
		}
	}
	return nil
}

// notice is one change a webhook reports.
type notice struct {
	id       string
	realm    string
	entity   string // Intuit's entity name: Payment, Invoice, ...
	entityID string
	action   string // created, updated, deleted, voided
	at       time.Time
}

// WebhookFaults drop or duplicate the next deliveries.
type WebhookFaults struct {
	// Drop: the next Drop deliveries are never sent (nor retried), as a
	// notification lost on Intuit's side.
	Drop int `json:"drop,omitempty"`
	// Duplicate: the next Duplicate deliveries are sent twice, the same
	// body and event ids each time.
	Duplicate int `json:"duplicate,omitempty"`
}

// Delivery is one webhook delivery as the simulator's log shows it.
type Delivery struct {
	EventIDs   []string `json:"event_ids"`
	Realms     []string `json:"realms"`
	Types      []string `json:"types"`
	Format     string   `json:"format"`
	Attempts   int      `json:"attempts"`
	Status     string   `json:"status"` // delivered, dropped, failing
	LastAnswer int      `json:"last_answer,omitempty"`
	LastError  string   `json:"last_error,omitempty"`
	Duplicated bool     `json:"duplicated,omitempty"`
}

// webhooks batches, signs and delivers change notifications in order,
// holding later ones while a delivery is being retried, as Intuit does.
type webhooks struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration)
	http  *http.Client

	mu  sync.Mutex
	cfg *WebhookConfig
	// ctx ends when the subscription changes or ends, cutting a retry's
	// wait short.
	ctx        context.Context
	cancel     context.CancelFunc
	outbox     []notice
	running    bool
	faults     WebhookFaults
	deliveries []*Delivery
}

func newWebhooks(now func() time.Time, sleep func(context.Context, time.Duration)) *webhooks {
	return &webhooks{now: now, sleep: sleep, http: &http.Client{Timeout: deliveryTimeout}, ctx: context.Background(), cancel: func() {}}
}

// subscribe replaces the subscription (nil ends it); a delivery being
// retried under the old one stops.
func (w *webhooks) subscribe(cfg *WebhookConfig) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	w.cfg = cfg
	w.ctx, w.cancel = context.WithCancel(context.Background())
	if cfg == nil {
		w.outbox, w.faults = nil, WebhookFaults{}
	}
}

// emit queues notices for delivery; without a subscription there is
// nobody to tell.
func (w *webhooks) emit(ns []notice) {
	if len(ns) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cfg == nil {
		return
	}
	w.outbox = append(w.outbox, ns...)
	if !w.running {
		w.running = true
		go w.run()
	}
}

// run delivers the outbox until it is empty, one delivery at a time.
func (w *webhooks) run() {
	for {
		w.mu.Lock()
		window, ctx := defaultBatchWindow, w.ctx
		if w.cfg != nil && w.cfg.BatchWindowMS != nil {
			window = time.Duration(*w.cfg.BatchWindowMS) * time.Millisecond
		}
		w.mu.Unlock()
		w.sleep(ctx, window)
		cfg, batch, d, twice := w.take()
		if d == nil {
			return
		}
		if cfg == nil || d.Status == "dropped" {
			continue
		}
		body := renderNotices(cfg.Format, batch)
		w.deliver(ctx, cfg, body, d)
		if twice {
			w.deliver(ctx, cfg, body, d)
		}
	}
}

// take removes the next batch from the outbox and logs its delivery; a
// nil delivery means the outbox is empty and the worker has stopped.
func (w *webhooks) take() (*WebhookConfig, []notice, *Delivery, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.outbox) == 0 || w.cfg == nil {
		w.running = false
		return nil, nil, nil, false
	}
	n := min(len(w.outbox), maxNoticesPerDelivery)
	batch := append([]notice(nil), w.outbox[:n]...)
	w.outbox = w.outbox[n:]
	cfg := *w.cfg
	if cfg.Format == "" {
		cfg.Format = FormatCloudEvents
	}
	d := &Delivery{Format: cfg.Format, Status: "failing"}
	for _, ev := range batch {
		d.EventIDs = append(d.EventIDs, ev.id)
		d.Types = append(d.Types, cloudEventType(ev))
		if !containsString(d.Realms, ev.realm) {
			d.Realms = append(d.Realms, ev.realm)
		}
	}
	w.deliveries = append(w.deliveries, d)
	switch {
	case w.faults.Drop > 0:
		w.faults.Drop--
		d.Status = "dropped"
		return &cfg, batch, d, false
	case w.faults.Duplicate > 0:
		w.faults.Duplicate--
		d.Duplicated = true
		return &cfg, batch, d, true
	}
	return &cfg, batch, d, false
}

// deliver posts body until the endpoint answers 2xx, waiting Intuit's
// schedule (or the configured one) between attempts.
func (w *webhooks) deliver(ctx context.Context, cfg *WebhookConfig, body []byte, d *Delivery) {
	sig := Sign(cfg.VerifierToken, body)
	for attempt := 0; ; attempt++ {
		status, err := w.post(ctx, cfg.Endpoint, sig, body)
		w.mu.Lock()
		d.Attempts++
		d.LastAnswer, d.LastError = status, ""
		if err != nil {
			d.LastError = err.Error()
		}
		ok := err == nil && status >= 200 && status < 300
		if ok {
			d.Status = "delivered"
		}
		w.mu.Unlock()
		if ok || ctx.Err() != nil {
			return
		}
		w.sleep(ctx, retryWait(cfg.RetrySeconds, attempt))
	}
}

func (w *webhooks) post(ctx context.Context, endpoint, sig string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("intuit-signature", sig)
	res, err := w.http.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func retryWait(custom []int, attempt int) time.Duration {
	if len(custom) > 0 {
		return time.Duration(custom[min(attempt, len(custom)-1)]) * time.Second
	}
	return intuitRetries[min(attempt, len(intuitRetries)-1)]
}

// Sign is Intuit's intuit-signature header: base64 HMAC-SHA256 of the raw
// body under the app's verifier token.
func Sign(verifierToken string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(verifierToken))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func cloudEventType(n notice) string {
	return "qbo." + strings.ToLower(n.entity) + "." + n.action + ".v1"
}

// legacyOperation is the legacy format's name of an action.
var legacyOperation = map[string]string{"created": "Create", "updated": "Update", "deleted": "Delete", "voided": "Void"}

// renderNotices is the body of a delivery: a JSON array of CloudEvents
// (several realms may share one), or the legacy eventNotifications object
// with one entry per realm.
func renderNotices(format string, ns []notice) []byte {
	if format == FormatLegacy {
		type entity struct {
			Name        string `json:"name"`
			ID          string `json:"id"`
			Operation   string `json:"operation"`
			LastUpdated string `json:"lastUpdated"`
		}
		type realmEvents struct {
			RealmID         string `json:"realmId"`
			DataChangeEvent struct {
				Entities []entity `json:"entities"`
			} `json:"dataChangeEvent"`
		}
		var out []*realmEvents
		byRealm := map[string]*realmEvents{}
		for _, n := range ns {
			r := byRealm[n.realm]
			if r == nil {
				r = &realmEvents{RealmID: n.realm}
				byRealm[n.realm] = r
				out = append(out, r)
			}
			r.DataChangeEvent.Entities = append(r.DataChangeEvent.Entities, entity{Name: n.entity, ID: n.entityID,
				Operation: legacyOperation[n.action], LastUpdated: n.at.UTC().Format("2006-01-02T15:04:05.000Z")})
		}
		return mustJSON(map[string]any{"eventNotifications": out})
	}
	type cloudEvent struct {
		SpecVersion     string         `json:"specversion"`
		ID              string         `json:"id"`
		Source          string         `json:"source"`
		Type            string         `json:"type"`
		DataContentType string         `json:"datacontenttype"`
		Time            string         `json:"time"`
		EntityID        string         `json:"intuitentityid"`
		AccountID       string         `json:"intuitaccountid"`
		Data            map[string]any `json:"data"`
	}
	out := make([]cloudEvent, 0, len(ns))
	for _, n := range ns {
		out = append(out, cloudEvent{SpecVersion: "1.0", ID: n.id, Source: "intuit.qbosim", Type: cloudEventType(n),
			DataContentType: "application/json", Time: n.at.UTC().Format(time.RFC3339Nano),
			EntityID: n.entityID, AccountID: n.realm, Data: map[string]any{}})
	}
	return mustJSON(out)
}

// newEventID is a random UUID (version 4), as Intuit's event ids are.
func newEventID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("qbosim: event id: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// noteChanges records the notices of one committed write: the written
// entity with the write's action, then every other entity the write gave
// a new SyncToken (an invoice a payment paid), as updated.
func (c *company) noteChanges(kindName, id, op string, now time.Time) {
	action := map[string]string{"create": "created", "update": "updated", "delete": "deleted", "void": "voided"}[op]
	if action == "" || id == "" {
		return
	}
	c.notices = append(c.notices, notice{id: newEventID(), realm: c.realmID, entity: kindName, entityID: id, action: action, at: now})
	var others []*entity
	for e := range c.bumped {
		if e.kind.name != kindName || e.id != id {
			others = append(others, e)
		}
	}
	sort.Slice(others, func(i, j int) bool {
		if others[i].kind.name != others[j].kind.name {
			return others[i].kind.name < others[j].kind.name
		}
		return idLess(others[i].id, others[j].id)
	})
	for _, e := range others {
		c.notices = append(c.notices, notice{id: newEventID(), realm: c.realmID, entity: e.kind.name, entityID: e.id, action: "updated", at: now})
	}
}

// takeNotices hands over what the current request changed.
func (c *company) takeNotices() []notice {
	ns := c.notices
	c.notices = nil
	return ns
}
