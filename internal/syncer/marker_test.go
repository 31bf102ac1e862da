package syncer

import (
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
)

func TestMarkersNameTheTenant(t *testing.T) {
	inv := mark{tenant: "acme", kind: billing.KindInvoice, id: "inv_2"}
	if got := inv.String(); got != "[billing acme/invoice inv_2]" {
		t.Fatalf("marker = %q", got)
	}
	cases := []struct {
		note             string
		carries, foreign bool
	}{
		{"[billing acme/invoice inv_2] thanks", true, false},
		{"[billing invoice inv_2]", true, false}, // written before markers named the tenant
		{"[billing globex/invoice inv_2]", false, true},
		{"[billing acme/invoice inv_20]", false, true},
		{"[billing acme/customer inv_2]", false, true},
		{"typed by hand", false, false},
	}
	for _, c := range cases {
		if got := carries(c.note, inv); got != c.carries {
			t.Errorf("carries(%q) = %v", c.note, got)
		}
		if got := foreign(c.note, inv); got != c.foreign {
			t.Errorf("foreign(%q) = %v", c.note, got)
		}
	}
	app := mark{tenant: "acme", kind: billing.KindCredit, id: "cr_1", application: true}
	if carries("[billing acme/credit cr_1]", app) || !carries(app.String(), app) {
		t.Error("a credit's application payment is told apart from the credit memo")
	}
}
