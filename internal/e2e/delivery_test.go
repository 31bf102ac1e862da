package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// delivery is one POST of an event to the webhook: the event as first
// sent, the same event again (same id), the same version again under a new
// id (a replay), or a snapshot re-sent late under a new id, possibly older
// than what the service already has.
type delivery struct {
	ev      *billingEvent
	eventID string
	kind    string // "", "duplicate", "resend", "late"
	fault   *faultPlan
}

// faultPlan is something the simulator is told to do to the next matching
// call of the realm, or a token expiry.
type faultPlan struct {
	name string
	rule map[string]any // nil: expire the realm's access tokens
}

// deliveryStats counts what the webhook answered.
type deliveryStats struct {
	posts, accepted, duplicates, stale   int
	duplicatesSent, resentSent, lateSent int
	faultsPlanned                        map[string]int
	unexpected                           []string
}

// schedule turns a history into what the billing system's delivery does
// with it: events shuffled within small windows (so newer versions often
// arrive before older ones), some sent twice with the same id, some older
// snapshots re-sent late under a new id, and the fault plan spread
// over the run.
func schedule(rng *rand.Rand, events []billingEvent, faults []faultPlan) []delivery {
	type keyed struct {
		at float64
		d  delivery
	}
	var out []keyed
	for i := range events {
		ev := &events[i]
		out = append(out, keyed{float64(i), delivery{ev: ev, eventID: ev.ID}})
	}
	for w := 0; w < len(out); {
		n := 2 + rng.IntN(7)
		win := out[w:min(w+n, len(out))]
		rng.Shuffle(len(win), func(i, j int) { win[i].d, win[j].d = win[j].d, win[i].d })
		w += n
	}
	latest := map[string]*billingEvent{}
	for i := range events {
		ev := &events[i]
		at := float64(i) + 0.5 + rng.Float64()*20
		switch r := rng.IntN(100); {
		case r < 6:
			out = append(out, keyed{at, delivery{ev: ev, eventID: ev.ID, kind: "duplicate"}})
		case r < 12:
			out = append(out, keyed{at, delivery{ev: ev, eventID: fmt.Sprintf("%s_again%d", ev.ID, i), kind: "resend"}})
		case r < 16 && latest[string(ev.Kind)+"/"+ev.Entity] != nil:
			old := latest[string(ev.Kind)+"/"+ev.Entity]
			out = append(out, keyed{at, delivery{ev: old, eventID: fmt.Sprintf("%s_late%d", old.ID, i), kind: "late"}})
		}
		latest[string(ev.Kind)+"/"+ev.Entity] = ev
	}
	for _, f := range faults {
		out = append(out, keyed{rng.Float64() * float64(len(events)), delivery{fault: &f}})
	}
	slices.SortStableFunc(out, func(a, b keyed) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	ds := make([]delivery, len(out))
	for i, k := range out {
		ds[i] = k.d
	}
	return ds
}

// faultTargets are the calls the sync makes, by entity: a fault rule
// names one of them (or only the entity), so that it is likely to hit.
var faultTargets = map[string][]string{
	"Customer":     {"create", "update", "query", ""},
	"Item":         {"create", "query"},
	"Invoice":      {"create", "update", "void", "query", "read", ""},
	"Payment":      {"create", "update", "query", "read", ""},
	"CreditMemo":   {"create", "update", "void", "query", ""},
	"JournalEntry": {"create", "delete", "query", ""},
}

// planFaults returns n rounds of faults for one realm (a 429, a 500, a
// 503, two responses dropped after the write committed, an expiry of every
// access token, and a batch whose answer is dropped after QuickBooks
// committed it and one refused with 503) and timeouts more.
func planFaults(rng *rand.Rand, n, timeouts int) []faultPlan {
	entities := []string{"Customer", "Item", "Invoice", "Invoice", "Payment", "Payment", "CreditMemo", "CreditMemo", "JournalEntry"}
	rule := func(extra map[string]any, writes bool) map[string]any {
		entity := entities[rng.IntN(len(entities))]
		r := map[string]any{"entity": entity, "count": 1 + rng.IntN(2)}
		if ops := faultTargets[entity]; writes {
			r["operation"] = "create"
		} else if op := ops[rng.IntN(len(ops))]; op != "" {
			r["operation"] = op
		}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	var out []faultPlan
	for range n {
		out = append(out,
			faultPlan{"429", rule(map[string]any{"status": 429}, false)},
			faultPlan{"500", rule(map[string]any{"status": 500}, false)},
			faultPlan{"503", rule(map[string]any{"status": 503}, false)},
			faultPlan{"drop_response", rule(map[string]any{"drop_response": true}, true)},
			faultPlan{"drop_response", rule(map[string]any{"drop_response": true}, false)},
			faultPlan{"expire_tokens", nil},
			faultPlan{"drop_response", map[string]any{"operation": "batch", "drop_response": true, "count": 1 + rng.IntN(2)}},
			faultPlan{"503", map[string]any{"operation": "batch", "status": 503}},
		)
	}
	for range timeouts {
		out = append(out, faultPlan{"timeout", rule(map[string]any{"timeout": true}, false)})
	}
	return out
}

// deliver posts the deliveries in order and checks each answer against
// what the webhook contract promises: 202 for news, 200 duplicate for an
// event id seen before or a version already stored with the same content,
// 200 stale for a version older than one accepted.
func (e *tenantEnv) deliver(ds []delivery) deliveryStats {
	st := deliveryStats{faultsPlanned: map[string]int{}}
	seen := map[string]bool{}
	newest := map[string]int{}
	for _, d := range ds {
		if d.fault != nil {
			if err := e.inject(*d.fault); err != nil {
				st.unexpected = append(st.unexpected, err.Error())
			}
			st.faultsPlanned[d.fault.name]++
			continue
		}
		key := string(d.ev.Kind) + "/" + d.ev.Entity
		want, wantStatus := "accepted", http.StatusAccepted
		switch {
		case seen[d.eventID]:
			want, wantStatus = "duplicate", http.StatusOK
		case d.ev.Version < newest[key]:
			want, wantStatus = "stale", http.StatusOK
		case d.ev.Version == newest[key]:
			want, wantStatus = "duplicate", http.StatusOK
		}
		status, out, err := e.send(d.eventID, d.ev.Type, d.ev.Data)
		if err != nil {
			st.unexpected = append(st.unexpected, err.Error())
			continue
		}
		st.posts++
		switch d.kind {
		case "duplicate":
			st.duplicatesSent++
		case "resend":
			st.resentSent++
		case "late":
			st.lateSent++
		}
		if want == "duplicate" && !seen[d.eventID] && status == http.StatusAccepted && out["status"] == "accepted" {
			// The same version under a new id while the entity is not yet
			// tried is queued again and accepted.
			want, wantStatus = "accepted", http.StatusAccepted
		}
		if status != wantStatus || out["status"] != want {
			st.unexpected = append(st.unexpected, fmt.Sprintf("%s %s v%d (%s): %d %v, want %d %s",
				d.eventID, d.ev.Type, d.ev.Version, key, status, out, wantStatus, want))
			continue
		}
		switch want {
		case "accepted":
			st.accepted++
			seen[d.eventID] = true
			newest[key] = max(newest[key], d.ev.Version)
		case "duplicate":
			st.duplicates++
			seen[d.eventID] = true
		case "stale":
			st.stale++
			seen[d.eventID] = true
		}
	}
	return st
}

// send signs and posts one event; unlike post it may run outside the
// test's goroutine.
func (e *tenantEnv) send(eventID, typ string, data any) (int, map[string]any, error) {
	body, err := json.Marshal(map[string]any{"id": eventID, "type": typ,
		"occurred_at": time.Now().UTC().Format(time.RFC3339), "data": data})
	if err != nil {
		return 0, nil, err
	}
	status, resp, err := e.stack.PostEvent(context.Background(), e.tenant, e.secret, body)
	if err != nil {
		return 0, nil, fmt.Errorf("post %s %s: %w", eventID, typ, err)
	}
	var out map[string]any
	if err := json.Unmarshal(resp, &out); err != nil {
		return status, nil, fmt.Errorf("post %s %s: answer %d %q: %w", eventID, typ, status, resp, err)
	}
	return status, out, nil
}

// inject tells the simulator to fail the realm's next matching call, or
// expires the realm's access tokens.
func (e *tenantEnv) inject(f faultPlan) error {
	path, body := "/expire-tokens", []byte(nil)
	want := http.StatusNoContent
	if f.rule != nil {
		path, want = "/faults", http.StatusCreated
		body, _ = json.Marshal(f.rule)
	}
	status, _, err := e.simControl(http.MethodPost, path, body)
	if err == nil && status != want {
		err = fmt.Errorf("answered %d", status)
	}
	if err != nil {
		return fmt.Errorf("inject %s %v: %w", f.name, f.rule, err)
	}
	return nil
}

// simControl calls the simulator's control surface for the tenant's company.
func (e *tenantEnv) simControl(method, path string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := fmt.Sprintf("%s/_sim/companies/%s%s", e.stack.QBOURL(), e.realm, path)
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}

// simStats is the part of the simulator's request statistics the test reports.
type simStats struct {
	Requests       int            `json:"requests"`
	ByOperation    map[string]int `json:"by_operation"`
	Throttled      int            `json:"throttled"`
	FaultsInjected int            `json:"faults_injected"`
	Replays        int            `json:"replays"`
	AuthFailures   int            `json:"auth_failures"`
}

func (e *tenantEnv) simStats() (simStats, error) {
	var s simStats
	status, body, err := e.simControl(http.MethodGet, "/stats", nil)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("stats answered %d: %s", status, body)
	}
	if err == nil {
		err = json.Unmarshal(body, &s)
	}
	return s, err
}

// pendingFaults clears the fault rules no call matched and returns how
// many there were.
func (e *tenantEnv) pendingFaults() (int, error) {
	status, body, err := e.simControl(http.MethodGet, "/faults", nil)
	if err != nil || status != http.StatusOK {
		return 0, fmt.Errorf("list faults: %d %s %v", status, body, err)
	}
	var out struct {
		Faults []struct {
			Count int `json:"count"`
		} `json:"faults"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, err
	}
	n := 0
	for _, f := range out.Faults {
		n += f.Count
	}
	if status, _, err := e.simControl(http.MethodDelete, "/faults", nil); err != nil || status != http.StatusNoContent {
		return n, fmt.Errorf("clear faults: %d %v", status, err)
	}
	return n, nil
}
