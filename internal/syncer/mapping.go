package syncer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/qbo"
)

// marker tags a QBO object with the billing entity it mirrors, in a note
// field QBO keeps (Customer.Notes, PrivateNote), so a lost create can be
// found again and a reconnect can re-latch instead of duplicating.
func marker(kind billing.Kind, id string) string {
	return fmt.Sprintf("[billing %s %s]", kind, id)
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
