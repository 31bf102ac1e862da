package qbopayment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/qbopayment"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/store"
)

// The importer runs against the simulator over HTTP; the store and the
// outbound recorder are in memory (the e2e tests run it on the local
// stack with DynamoDB).
type memStore struct {
	mu        sync.Mutex
	direction string
	links     map[string]store.Link
	imported  map[string]store.ImportedPayment
	watermark *store.PaymentWatermark
}

func (m *memStore) Tenant(_ context.Context, id string) (store.Tenant, error) {
	return store.Tenant{ID: id, Settings: store.Settings{PaymentsDirection: m.direction}}, nil
}

func (m *memStore) TenantIDs(context.Context) ([]string, error) { return []string{"acme"}, nil }

func (m *memStore) Link(_ context.Context, tenant string, kind billing.Kind, id string) (store.Link, error) {
	l, ok := m.links[tenant+"/"+string(kind)+"/"+id]
	if !ok {
		return store.Link{}, store.ErrNotFound
	}
	return l, nil
}

func (m *memStore) ImportedPayment(_ context.Context, tenant, realm, id string) (store.ImportedPayment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.imported[tenant+"/"+realm+"/"+id]
	if !ok {
		return store.ImportedPayment{}, store.ErrNotFound
	}
	return p, nil
}

func (m *memStore) PutImportedPayment(_ context.Context, tenant string, p store.ImportedPayment, prev *store.ImportedPayment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := tenant + "/" + p.RealmID + "/" + p.QBOID
	cur, ok := m.imported[k]
	if ok != (prev != nil) || ok && (cur.SyncToken != prev.SyncToken || cur.EventType != prev.EventType) {
		return store.ErrConflict
	}
	m.imported[k] = p
	return nil
}

func (m *memStore) PaymentWatermark(context.Context, string) (store.PaymentWatermark, error) {
	if m.watermark == nil {
		return store.PaymentWatermark{}, store.ErrNotFound
	}
	return *m.watermark, nil
}

func (m *memStore) SavePaymentWatermark(_ context.Context, _ string, w store.PaymentWatermark) error {
	m.watermark = &w
	return nil
}

type tokens struct{ conn store.Connection }

func (t tokens) Token(context.Context, string, bool) (store.Connection, error) { return t.conn, nil }

// recorder keeps one event per id, as outbound.Store does.
type recorder struct {
	byID  map[string]outbound.Event
	order []string
}

func (r *recorder) Record(_ context.Context, e outbound.Event) error {
	if _, ok := r.byID[e.ID]; !ok {
		r.order = append(r.order, e.ID)
	}
	r.byID[e.ID] = e
	return nil
}

type env struct {
	t    *testing.T
	url  string
	co   qbosimtest.Company
	st   *memStore
	rec  *recorder
	im   *qbopayment.Importer
	cus  string
	inv  string
	sent int
}

func newEnv(t *testing.T) *env {
	url, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, url, "US", "")
	e := &env{t: t, url: url, co: co, rec: &recorder{byID: map[string]outbound.Event{}},
		st: &memStore{direction: store.PaymentsFromQuickBooks, links: map[string]store.Link{}, imported: map[string]store.ImportedPayment{}}}
	e.cus = e.create("Customer", map[string]any{"DisplayName": "Harbor Supply", "Notes": "[billing acme/customer cus_1]"})["Id"].(string)
	e.inv = e.create("Invoice", map[string]any{"CustomerRef": map[string]any{"value": e.cus}, "PrivateNote": "[billing acme/invoice inv_1]",
		"Line": []any{map[string]any{"Amount": 100, "DetailType": "SalesItemLineDetail",
			"SalesItemLineDetail": map[string]any{"ItemRef": map[string]any{"value": "15"}}}}})["Id"].(string)
	e.st.links["acme/customer/cus_1"] = store.Link{RealmID: co.RealmID, QBOID: e.cus, State: store.LinkLinked}
	e.st.links["acme/invoice/inv_1"] = store.Link{RealmID: co.RealmID, QBOID: e.inv, State: store.LinkLinked}
	e.im = &qbopayment.Importer{Store: e.st, Outbound: e.rec, QBOBaseURL: url, HTTPClient: http.DefaultClient,
		Tokens: tokens{store.Connection{Tenant: "acme", RealmID: co.RealmID, AccessToken: co.AccessToken, Status: store.ConnConnected}}}
	return e
}

func (e *env) create(entity string, body map[string]any) map[string]any {
	return e.call(strings.ToLower(entity), entity, body)
}

func (e *env) call(path, entity string, body map[string]any) map[string]any {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.url+"/v3/company/"+e.co.RealmID+"/"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+e.co.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]json.RawMessage
	var obj map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || json.Unmarshal(out[entity], &obj) != nil {
		e.t.Fatalf("%s: %d %s", path, res.StatusCode, raw)
	}
	return obj
}

func (e *env) pay(amount string, note string) map[string]any {
	return e.create("Payment", map[string]any{"CustomerRef": map[string]any{"value": e.cus}, "TotalAmt": json.Number(amount),
		"PrivateNote": note, "Line": []any{map[string]any{"Amount": json.Number(amount),
			"LinkedTxn": []any{map[string]any{"TxnId": e.inv, "TxnType": "Invoice"}}}}})
}

// next returns the events recorded since the last call.
func (e *env) next() []outbound.Event {
	var out []outbound.Event
	for _, id := range e.rec.order[e.sent:] {
		out = append(out, e.rec.byID[id])
	}
	e.sent = len(e.rec.order)
	return out
}

type data struct {
	PaymentID  string `json:"payment_id"`
	CustomerID string `json:"customer_id"`
	Amount     string `json:"amount"`
	Deleted    bool   `json:"deleted"`
	AppliedTo  []struct {
		InvoiceID string `json:"invoice_id"`
		Amount    string `json:"amount"`
	} `json:"applied_to"`
}

// decode reads an event's data after checking the whole event against
// the published schema (api/billing-events.v1.schema.json).
func decode(t *testing.T, ev outbound.Event) data {
	t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "api", "billing-events.v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("event %s against the schema: %v", body, err)
	}
	var d data
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A payment's life in QuickBooks is created, updated, deleted in billing:
// one event per version, the same version recorded again adds nothing,
// and each names billing's customer and invoice.
func TestImportFollowsAPaymentsVersions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.pay("40.00", "")
	id := p["Id"].(string)
	for range 2 {
		if err := e.im.Import(ctx, "acme", e.co.RealmID, id); err != nil {
			t.Fatal(err)
		}
	}
	evs := e.next()
	if len(evs) != 1 || evs[0].Type != qbopayment.TypeCreated || evs[0].ID != qbopayment.EventID(e.co.RealmID, id, "0") {
		t.Fatalf("after two imports of one version: %+v", evs)
	}
	if d := decode(t, evs[0]); d.CustomerID != "cus_1" || d.Amount != "40.00" || len(d.AppliedTo) != 1 ||
		d.AppliedTo[0].InvoiceID != "inv_1" || d.AppliedTo[0].Amount != "40.00" {
		t.Errorf("created data %+v", d)
	}

	e.call("payment", "Payment", map[string]any{"Id": id, "SyncToken": p["SyncToken"], "sparse": true, "PaymentRefNum": "CHK-7"})
	if err := e.im.Import(ctx, "acme", e.co.RealmID, id); err != nil {
		t.Fatal(err)
	}
	evs = e.next()
	if len(evs) != 1 || evs[0].Type != qbopayment.TypeUpdated || evs[0].ID != qbopayment.EventID(e.co.RealmID, id, "1") {
		t.Fatalf("after the update: %+v", evs)
	}
	decode(t, evs[0])

	e.call("payment?operation=delete", "Payment", map[string]any{"Id": id, "SyncToken": "1"})
	if err := e.im.Import(ctx, "acme", e.co.RealmID, id); err != nil {
		t.Fatal(err)
	}
	evs = e.next()
	if len(evs) != 1 || evs[0].Type != qbopayment.TypeDeleted || evs[0].ID != qbopayment.EventID(e.co.RealmID, id, "deleted") {
		t.Fatalf("after the delete: %+v", evs)
	}
	if d := decode(t, evs[0]); !d.Deleted || len(d.AppliedTo) != 1 || d.AppliedTo[0].InvoiceID != "inv_1" {
		t.Errorf("deleted data %+v", d)
	}
}

// A payment the sync wrote (its marker) is never sent back to billing,
// and nothing is imported while payments go to QuickBooks.
func TestImportNeverSendsBackWhatWasExported(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exported := e.pay("25.00", "Payment pay_9 [billing acme/payment pay_9]")["Id"].(string)
	if err := e.im.Import(ctx, "acme", e.co.RealmID, exported); err != nil {
		t.Fatal(err)
	}
	if evs := e.next(); len(evs) != 0 {
		t.Fatalf("exported payment imported: %+v", evs)
	}
	e.st.direction = store.PaymentsToQuickBooks
	mine := e.pay("10.00", "")["Id"].(string)
	if err := e.im.Import(ctx, "acme", e.co.RealmID, mine); err != nil {
		t.Fatal(err)
	}
	if evs := e.next(); len(evs) != 0 {
		t.Fatalf("imported in to_quickbooks: %+v", evs)
	}
}

// The sweep records what changed since its watermark, once however often
// it runs, and skips exported payments too.
func TestSweepFindsChangedPaymentsOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.st.watermark = &store.PaymentWatermark{RealmID: e.co.RealmID, Since: time.Now().Add(-time.Minute)}
	id := e.pay("12.34", "")["Id"].(string)
	e.pay("5.00", "[billing acme/payment pay_1]")
	for range 2 {
		if err := e.im.SweepAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evs := e.next()
	if len(evs) != 1 || decode(t, evs[0]).PaymentID != id || decode(t, evs[0]).Amount != "12.34" {
		t.Fatalf("after two sweeps: %+v", evs)
	}
	if e.st.watermark == nil || time.Since(e.st.watermark.Since) > time.Minute {
		t.Errorf("watermark %+v, want moved to the last sweep", e.st.watermark)
	}
}

// A payment the sync wrote stays the sync's after QuickBooks voids it,
// although the void replaces its memo and the marker with it; and a
// zero-total payment applying a credit is no money to tell billing of.
func TestVoidedExportedPaymentNeverImported(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := e.pay("30.00", "Payment pay_7 [billing acme/payment pay_7]")
	id := p["Id"].(string)
	if err := e.im.Import(ctx, "acme", e.co.RealmID, id); err != nil {
		t.Fatal(err)
	}
	voided := e.call("payment?operation=update&include=void", "Payment", map[string]any{"Id": id, "SyncToken": p["SyncToken"]})
	if strings.Contains(fmt.Sprint(voided["PrivateNote"]), "[billing") {
		t.Fatalf("the void kept the marker (%v): this test needs one that replaces it", voided["PrivateNote"])
	}
	if err := e.im.Import(ctx, "acme", e.co.RealmID, id); err != nil {
		t.Fatal(err)
	}
	if err := e.im.SweepAll(ctx); err != nil {
		t.Fatal(err)
	}
	if evs := e.next(); len(evs) != 0 {
		t.Fatalf("the sync's voided payment reached billing: %+v", evs)
	}
}
