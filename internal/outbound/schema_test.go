package outbound

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validate checks one event's body against api/billing-events.v1.schema.json.
func validate(t *testing.T, body []byte) error {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "api", "billing-events.v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// The event bodies the deliverer sends, and the samples, are what the
// published schema describes; a body it refuses is refused.
func TestEventsMatchTheSchema(t *testing.T) {
	paid := paidEvent(InvoiceBalance{Tenant: "acme", InvoiceID: "inv_1001", CustomerID: "cus_1001", RealmID: "9130",
		QBOID: "145", DocNumber: "INV-1001", Currency: "JPY", Total: 8937}, 1, time.Date(2026, 12, 1, 9, 30, 0, 123, time.UTC))
	body, err := json.Marshal(paid)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, body); err != nil {
		t.Errorf("invoice paid %s: %v", body, err)
	}
	samples, _ := filepath.Glob(filepath.Join("..", "..", "events", "qbosync", "*.json"))
	if len(samples) == 0 {
		t.Fatal("no sample events in events/qbosync")
	}
	for _, f := range samples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	var broken map[string]any
	_ = json.Unmarshal(body, &broken)
	delete(broken["data"].(map[string]any), "total")
	b, _ := json.Marshal(broken)
	if validate(t, b) == nil {
		t.Error("an invoice paid without its total passes the schema")
	}
}
