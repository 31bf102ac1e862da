package billing

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Actions, the second half of an event type.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	// ActionVoided applies to transactions (every kind but customer and product).
	ActionVoided = "voided"
	// ActionDeleted applies to customers and products; a customer is made
	// inactive in QuickBooks, never deleted.
	ActionDeleted = "deleted"
)

// AllowedAction reports whether action may follow kind in an event type.
func AllowedAction(kind Kind, action string) bool {
	switch action {
	case ActionCreated, ActionUpdated:
		return kind.Valid()
	case ActionDeleted:
		return kind == KindCustomer || kind == KindProduct
	case ActionVoided:
		return kind.Valid() && kind != KindCustomer && kind != KindProduct
	}
	return false
}

// ParseType splits an event type "kind.action" and checks both halves.
func ParseType(typ string) (Kind, string, error) {
	k, action, ok := strings.Cut(typ, ".")
	kind := Kind(k)
	switch {
	case !ok:
		return "", "", errors.New(`must be "<kind>.<action>", like "invoice.created"`)
	case !kind.Valid():
		return "", "", fmt.Errorf("has unknown kind %q; kinds are %s", k, kindList())
	case !AllowedAction(kind, action):
		return "", "", fmt.Errorf("has action %q, which %s events do not have; they have %s", action, kind, actionList(kind))
	}
	return kind, action, nil
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func actionList(kind Kind) string {
	var s []string
	for _, a := range []string{ActionCreated, ActionUpdated, ActionVoided, ActionDeleted} {
		if AllowedAction(kind, a) {
			s = append(s, a)
		}
	}
	return strings.Join(s, ", ")
}

// Event is a validated webhook event.
type Event struct {
	ID         string
	Type       string
	Kind       Kind
	Action     string
	OccurredAt time.Time
	// Data is the "data" object exactly as received.
	Data json.RawMessage
	// Entity is Data decoded: *Customer, *Invoice, ... matching Kind.
	Entity Entity
}

// envelope is the event as sent; limits keep problem texts short.
type envelope struct {
	ID         string          `json:"id" limit:"128"`
	Type       string          `json:"type" limit:"64"`
	OccurredAt string          `json:"occurred_at" limit:"64"`
	Data       json.RawMessage `json:"data"`
}

// ParseEvent decodes and validates a webhook body. On failure it returns
// a *ValidationError listing every problem found (up to MaxProblems) and a
// zero Event.
func ParseEvent(body []byte) (Event, error) {
	var p problems
	switch {
	case !utf8.Valid(body):
		p.add("body", "must be UTF-8 text")
		return Event{}, p.err()
	case !json.Valid(body):
		p.add("body", "must be one JSON object: %s", syntaxProblem(body))
		return Event{}, p.err()
	case jsonKind(body) != '{':
		p.add("body", "must be a JSON object")
		return Event{}, p.err()
	}
	var env envelope
	decodeStruct(&p, "", body, reflectValue(&env))
	ev := Event{ID: env.ID, Type: env.Type, Data: env.Data}
	if !p.has("id") && !ValidEventID(env.ID) {
		p.add("id", "must be 1 to %d visible ASCII characters (no spaces)", MaxEventIDLen)
	}
	if !p.has("occurred_at") {
		t, err := ParseInstant(env.OccurredAt)
		if err != nil {
			p.add("occurred_at", "%s", err.Error())
		}
		ev.OccurredAt = t
	}
	if !p.has("type") {
		kind, action, err := ParseType(env.Type)
		if err != nil {
			p.add("type", "%s", err.Error())
		}
		ev.Kind, ev.Action = kind, action
	}
	if ev.Kind != "" && !p.has("data") {
		ev.Entity = newEntity(ev.Kind)
		decodeData(&p, "data", env.Data, ev.Entity)
		checkEntity(&p, "data", ev.Entity)
		checkAction(&p, ev)
	}
	if err := p.err(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// checkAction: an invoice.voided event must carry the voided invoice.
func checkAction(p *problems, ev Event) {
	inv, ok := ev.Entity.(*Invoice)
	if ok && ev.Action == ActionVoided && !p.has("data.status") && inv.Status != InvoiceVoided {
		p.add("data.status", "must be voided in an invoice.voided event")
	}
}

func syntaxProblem(body []byte) string {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "not valid JSON"
}
