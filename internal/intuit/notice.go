// Package intuit receives Intuit's webhook notifications of changes in a
// QuickBooks company: the signature check, both payload shapes
// (CloudEvents and the legacy eventNotifications) and the endpoint that
// queues the payments they name for import.
package intuit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SignatureHeader carries base64(HMAC-SHA256(verifier token, raw body)).
const SignatureHeader = "intuit-signature"

// ErrSignature: the signature is missing or does not match.
var ErrSignature = errors.New("invalid intuit-signature")

// Verify checks sig against body under the app's verifier token (not the
// client secret) in constant time.
func Verify(sig string, body []byte, verifierToken string) error {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || verifierToken == "" {
		return ErrSignature
	}
	mac := hmac.New(sha256.New, []byte(verifierToken))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignature
	}
	return nil
}

// Notice is one change Intuit announced: an entity of a company created,
// updated, deleted, voided (or merged, emailed).
type Notice struct {
	// ID is the event's id (CloudEvents), or one derived from the legacy
	// entry's realm, entity, id, operation and time: the dedup key.
	ID       string
	Realm    string
	Entity   string // lower case: payment, invoice, ...
	EntityID string
	Action   string // created, updated, deleted, voided, ...
	Time     time.Time
}

// Parse reads a delivery in either shape: a JSON array of CloudEvents, or
// the legacy {"eventNotifications": [...]} object.
func Parse(body []byte) ([]Notice, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("empty body")
	}
	if trimmed[0] == '[' {
		return parseCloudEvents(trimmed)
	}
	return parseLegacy(trimmed)
}

type cloudEvent struct {
	SpecVersion string `json:"specversion"`
	ID          string `json:"id"`
	Type        string `json:"type"`
	Time        string `json:"time"`
	EntityID    string `json:"intuitentityid"`
	AccountID   string `json:"intuitaccountid"`
}

func parseCloudEvents(body []byte) ([]Notice, error) {
	var evs []cloudEvent
	if err := json.Unmarshal(body, &evs); err != nil {
		return nil, fmt.Errorf("cloudevents: %w", err)
	}
	out := make([]Notice, 0, len(evs))
	for i, ev := range evs {
		entity, action, ok := splitType(ev.Type)
		if ev.ID == "" || ev.AccountID == "" || !ok {
			return nil, fmt.Errorf("cloudevents: event %d lacks id, intuitaccountid or a qbo.<entity>.<action>.v1 type", i)
		}
		at, _ := time.Parse(time.RFC3339Nano, ev.Time)
		out = append(out, Notice{ID: ev.ID, Realm: ev.AccountID, Entity: entity, EntityID: ev.EntityID, Action: action, Time: at})
	}
	return out, nil
}

// splitType reads "qbo.payment.created.v1".
func splitType(t string) (entity, action string, ok bool) {
	parts := strings.Split(t, ".")
	if len(parts) != 4 || parts[0] != "qbo" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return strings.ToLower(parts[1]), strings.ToLower(parts[2]), true
}

type legacyBody struct {
	EventNotifications *[]struct {
		RealmID         string `json:"realmId"`
		DataChangeEvent struct {
			Entities []struct {
				Name        string `json:"name"`
				ID          string `json:"id"`
				Operation   string `json:"operation"`
				LastUpdated string `json:"lastUpdated"`
			} `json:"entities"`
		} `json:"dataChangeEvent"`
	} `json:"eventNotifications"`
}

// legacyActions names the legacy operations as CloudEvents actions.
var legacyActions = map[string]string{"create": "created", "update": "updated", "delete": "deleted",
	"void": "voided", "merge": "merged", "emailed": "emailed"}

func parseLegacy(body []byte) ([]Notice, error) {
	var b legacyBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("eventNotifications: %w", err)
	}
	if b.EventNotifications == nil {
		return nil, errors.New("neither a CloudEvents array nor eventNotifications")
	}
	var out []Notice
	for _, n := range *b.EventNotifications {
		for _, e := range n.DataChangeEvent.Entities {
			action := legacyActions[strings.ToLower(e.Operation)]
			if n.RealmID == "" || e.Name == "" || action == "" {
				return nil, fmt.Errorf("eventNotifications: entry %q/%q lacks realmId, name or a known operation", e.Name, e.ID)
			}
			at, _ := time.Parse(time.RFC3339Nano, e.LastUpdated)
			// Legacy entries carry no id: the same change announced twice
			// has the same realm, entity, id, operation and time.
			sum := sha256.Sum256([]byte(strings.Join([]string{n.RealmID, e.Name, e.ID, e.Operation, e.LastUpdated}, "|")))
			out = append(out, Notice{ID: "legacy-" + hex.EncodeToString(sum[:16]), Realm: n.RealmID,
				Entity: strings.ToLower(e.Name), EntityID: e.ID, Action: action, Time: at})
		}
	}
	return out, nil
}
