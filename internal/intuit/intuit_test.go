package intuit_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/intuit"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/store/memstore"
)

// sample reads one of Intuit's own payloads: testdata holds the exact
// bytes of the NET-SDK's WebhooksServiceTest literals.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(token string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Intuit's test vector (NET-SDK WebhooksServiceTest).
func TestVerifyIntuitTestVector(t *testing.T) {
	body := sample(t, "webhook_legacy_payload.json")
	const token = "00faeec4-08d0-4996-bb37-698ae19f0149"
	if err := intuit.Verify("6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM=", body, token); err != nil {
		t.Errorf("Intuit's own signature refused: %v", err)
	}
	for name, sig := range map[string]string{
		"empty": "", "not base64": "%%%", "other token": sign("client-secret", body),
		"one byte off": sign(token, append([]byte(nil), body[:len(body)-1]...)),
	} {
		if err := intuit.Verify(sig, body, token); !errors.Is(err, intuit.ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", name, err)
		}
	}
	if err := intuit.Verify(sign("", body), body, ""); err == nil {
		t.Error("an empty verifier token verified a signature")
	}
}

func TestParseBothShapes(t *testing.T) {
	ce, err := intuit.Parse(sample(t, "webhook_cloudevents_payload.json"))
	if err != nil || len(ce) != 1 {
		t.Fatalf("cloudevents: %v %v", ce, err)
	}
	want := intuit.Notice{ID: "d1a3aedd-9670-41bf-a4f9-c148a1cc4e03", Realm: "310687", Entity: "class", EntityID: "1234",
		Action: "created", Time: time.Date(2025, 10, 7, 19, 59, 7, 34359333, time.UTC)}
	if ce[0] != want {
		t.Errorf("cloudevent %+v, want %+v", ce[0], want)
	}
	legacy, err := intuit.Parse(sample(t, "webhook_legacy_payload.json"))
	if err != nil || len(legacy) != 2 {
		t.Fatalf("legacy: %v %v", legacy, err)
	}
	if l := legacy[1]; l.Realm != "1269959970" || l.Entity != "customer" || l.EntityID != "43" || l.Action != "created" || l.ID == "" {
		t.Errorf("legacy entry %+v", l)
	}
	again, _ := intuit.Parse(sample(t, "webhook_legacy_payload.json"))
	if again[1].ID != legacy[1].ID || legacy[0].ID == legacy[1].ID {
		t.Errorf("legacy ids %q %q %q: want the same change to keep its id, two changes two ids", legacy[0].ID, legacy[1].ID, again[1].ID)
	}
	for name, body := range map[string]string{
		"empty": "", "object": `{"x":1}`, "bad type": `[{"id":"1","type":"payment","intuitaccountid":"9"}]`,
		"no realm":  `[{"id":"1","type":"qbo.payment.created.v1"}]`,
		"legacy op": `{"eventNotifications":[{"realmId":"9","dataChangeEvent":{"entities":[{"name":"Payment","id":"1","operation":"Explode"}]}}]}`,
	} {
		if _, err := intuit.Parse([]byte(body)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// downStore is the in-memory store, held to the DynamoDB store's contract
// (package storetest), whose event reads fail while down is set.
type downStore struct {
	*memstore.Store
	down bool
}

func (d *downStore) EventSeen(ctx context.Context, tenant, id string) (bool, error) {
	if d.down {
		return false, errors.New("dynamodb down")
	}
	return d.Store.EventSeen(ctx, tenant, id)
}

type fakeQueue struct{ msgs []queue.Message }

func (q *fakeQueue) Publish(_ context.Context, m queue.Message) error {
	q.msgs = append(q.msgs, m)
	return nil
}

func TestHandlerRoutesPaymentsByCompanyAndDeduplicates(t *testing.T) {
	st := &downStore{Store: memstore.New(time.Now)}
	for _, c := range []struct{ tenant, realm, direction string }{
		{"acme", "111", store.PaymentsFromQuickBooks}, {"globex", "222", store.PaymentsToQuickBooks}} {
		if err := st.CreateTenant(context.Background(), store.Tenant{ID: c.tenant, Name: c.tenant,
			Settings: store.Settings{PaymentsDirection: c.direction}}); err != nil {
			t.Fatal(err)
		}
		if err := st.ClaimRealm(context.Background(), c.realm, c.tenant); err != nil {
			t.Fatal(err)
		}
	}
	q := &fakeQueue{}
	h := &intuit.Handler{VerifierToken: "vt", Store: st, Queue: q}
	body, _ := json.Marshal([]map[string]string{
		{"specversion": "1.0", "id": "e1", "type": "qbo.payment.created.v1", "intuitentityid": "7", "intuitaccountid": "111"},
		{"specversion": "1.0", "id": "e2", "type": "qbo.invoice.updated.v1", "intuitentityid": "8", "intuitaccountid": "111"},
		{"specversion": "1.0", "id": "e3", "type": "qbo.payment.created.v1", "intuitentityid": "9", "intuitaccountid": "222"},
		{"specversion": "1.0", "id": "e4", "type": "qbo.payment.deleted.v1", "intuitentityid": "5", "intuitaccountid": "333"},
	})
	deliver := func(sig string) events.APIGatewayV2HTTPResponse {
		res, _ := h.Handle(context.Background(), events.APIGatewayV2HTTPRequest{Body: string(body),
			Headers: map[string]string{"intuit-signature": sig}})
		return res
	}
	if res := deliver(sign("wrong", body)); res.StatusCode != 401 || len(q.msgs) != 0 {
		t.Fatalf("wrong signature: %d %s, %d queued", res.StatusCode, res.Body, len(q.msgs))
	}
	res := deliver(sign("vt", body))
	if res.StatusCode != 200 || res.Body != `{"received":4,"queued":1}` {
		t.Fatalf("delivery: %d %s", res.StatusCode, res.Body)
	}
	// Only acme's payment: globex sends payments to QuickBooks, 333 is no
	// tenant's company, the invoice is not a payment.
	m := q.msgs[0]
	if len(q.msgs) != 1 || m.Tenant != "acme" || m.ID != "7" || m.Realm != "111" || !m.Imports() || m.EventID != "e1" {
		t.Fatalf("queued %+v", q.msgs)
	}
	if res := deliver(sign("vt", body)); res.Body != `{"received":4,"queued":0}` || len(q.msgs) != 1 {
		t.Errorf("redelivery: %s, %d queued in all", res.Body, len(q.msgs))
	}
	st.down = true
	if res := deliver(sign("vt", body)); res.StatusCode != 503 {
		t.Errorf("store down: %d, want 503 so that Intuit redelivers", res.StatusCode)
	}
}
