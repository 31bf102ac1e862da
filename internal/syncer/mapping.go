package syncer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/qbo"
)

// mark names the billing entity a QBO object mirrors. Its text, written
// in a note field QBO keeps (Customer.Notes, PrivateNote), lets a lost
// create be found again and a reconnect re-latch instead of duplicating.
// It names the tenant: two tenants allowed to share a company use the
// same billing ids, and neither may find the other's objects.
type mark struct {
	tenant      string // "" in markers written before they named it
	kind        billing.Kind
	id          string
	application bool // the payment applying a credit, not the credit itself
}

// marker is the text of tenant's mark for kind/id.
func marker(tenant string, kind billing.Kind, id string) string {
	return mark{tenant: tenant, kind: kind, id: id}.String()
}

func (m mark) String() string {
	s := fmt.Sprintf("[billing %s/%s %s]", m.tenant, m.kind, m.id)
	if m.application {
		s += " application"
	}
	return s
}

// markerRE reads both marker forms: "[billing acme/invoice inv_1]" and the
// older "[billing invoice inv_1]" that objects already in QBO carry.
var markerRE = regexp.MustCompile(`\[billing (?:([a-z0-9_-]+)/)?([a-z_]+) ([A-Za-z0-9._:-]+)\]( application)?`)

// marks returns every marker in note.
func marks(note string) []mark {
	var out []mark
	for _, m := range markerRE.FindAllStringSubmatch(note, -1) {
		out = append(out, mark{tenant: m[1], kind: billing.Kind(m[2]), id: m[3], application: m[4] != ""})
	}
	return out
}

// carries reports whether note marks the object as want's. A marker from
// before markers named the tenant is accepted: one company belongs to one
// tenant unless an operator allowed sharing it. An application flag is
// required only when want is an application (an invoice's own notes may
// follow its marker with any word).
func carries(note string, want mark) bool {
	for _, m := range marks(note) {
		if m.kind == want.kind && m.id == want.id && (m.tenant == want.tenant || m.tenant == "") &&
			(!want.application || m.application) {
			return true
		}
	}
	return false
}

// foreign reports whether note carries a marker of another billing entity
// or another tenant than want's: such an object is never latched.
func foreign(note string, want mark) bool {
	for _, m := range marks(note) {
		if m.kind != want.kind || m.id != want.id || m.tenant != "" && m.tenant != want.tenant {
			return true
		}
	}
	return false
}

// currency is a transaction's CurrencyRef and, when billing sent one, its
// ExchangeRate. Without a rate QuickBooks applies its own; in the home
// currency the rate is 1 whatever is sent.
func currency(code string, rate billing.ExchangeRate) (*qbo.Ref, json.Number) {
	return ref(code), json.Number(rate)
}

// amount formats minor units as QBO's exact decimal.
func amount(minor int64, currency string) (json.Number, error) {
	s, err := money.Format(minor, currency)
	if err != nil {
		return "", &PermanentError{Reason: err.Error()}
	}
	return json.Number(s), nil
}

func ref(id string) *qbo.Ref {
	if id == "" {
		return nil
	}
	return &qbo.Ref{Value: id}
}

// truncate cuts s to at most n runes (QBO counts characters).
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// jsonNumber passes an exact decimal string (a quantity) through as a JSON number.
func jsonNumber(s string) json.Number { return json.Number(s) }

// qboName is a name as QBO stores it: ASCII quotes and dashes (what
// qbo.Quote looks up) and no colon, which QBO reserves for sub-customer
// paths.
func qboName(s string) string {
	return strings.ReplaceAll(qbo.Normalize(s), ":", "-")
}
