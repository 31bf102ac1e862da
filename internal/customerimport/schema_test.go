package customerimport

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/qbosync/qbosync/internal/qbo"
)

// The event of a customer found is what the published schema describes.
func TestCustomerFoundMatchesTheSchema(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "api", "billing-events.v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := candidate(qbo.Customer{ID: "58", DisplayName: "Dune Freight", PrimaryEmailAddr: &qbo.EmailAddress{Address: "ap@dune.example"},
		CurrencyRef: &qbo.Ref{Value: "USD"}, Balance: "1250.5"}, "9130", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	if c.Balance != "1250.50" {
		t.Errorf("balance %q, want 1250.50 in the currency's digits", c.Balance)
	}
	body, err := json.Marshal(foundEvent("acme", c))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: %v", body, err)
	}
	again := foundEvent("acme", candidate(qbo.Customer{ID: "58", DisplayName: "Dune Freight Renamed"}, "9130", time.Now()))
	if again.ID != foundEvent("acme", c).ID || foundEvent("globex", c).ID == again.ID {
		t.Error("the event id is not one per tenant, company and customer")
	}
}
