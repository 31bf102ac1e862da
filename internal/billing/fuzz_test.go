package billing

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"
)

// FuzzParseEvent: any body either parses into a complete, self-consistent
// event or yields a *ValidationError with problems; it never panics.
func FuzzParseEvent(f *testing.F) {
	for _, name := range sampleFiles(f) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"e","type":"invoice.created","occurred_at":"2026-11-21T10:00:00Z","data":{"lines":[{"quantity":"1.5","unit_amount":-3}]}}`))
	f.Add([]byte(`{"id":"e","id":"e"}`))
	f.Add([]byte(`[{"id":1.0e400}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 || len(ve.Problems) > MaxProblems+1 {
				t.Fatalf("error %T %v: want a *ValidationError with 1..%d problems", err, err, MaxProblems+1)
			}
			return
		}
		if !ev.Kind.Valid() || !AllowedAction(ev.Kind, ev.Action) || !ValidEventID(ev.ID) || ev.OccurredAt.IsZero() {
			t.Fatalf("accepted an inconsistent envelope: %+v", ev)
		}
		e := ev.Entity
		if e == nil || !ValidEntityID(e.EntityID()) || e.EntityVersion() < 1 {
			t.Fatalf("accepted an inconsistent entity: %#v", e)
		}
		if ev.Kind != KindProduct && e.EntityCurrency() == "" {
			t.Fatalf("accepted %s without currency", ev.Kind)
		}
		for _, r := range e.Refs() {
			if !r.Kind.Valid() || !ValidEntityID(r.ID) {
				t.Fatalf("bad reference %v", r)
			}
		}
		// What was accepted survives a round trip through the Go types.
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(ev.Kind, again); err != nil {
			t.Fatalf("re-encoded snapshot rejected: %v\n%s", err, again)
		}
	})
}

// FuzzVerifySignature: arbitrary headers never panic and never pass
// without the right MAC, and a fresh signature always passes within the
// tolerance.
func FuzzVerifySignature(f *testing.F) {
	now := time.Unix(1795280400, 0)
	for _, name := range sampleFiles(f)[:3] {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(Sign([]byte("whsec_demo"), now, b), b, []byte("whsec_demo"), int64(0))
	}
	f.Add("t=1795280400,v1=00", []byte("{}"), []byte("k"), int64(301))
	f.Add("v1=,t=,v1=", []byte(""), []byte(""), int64(-300))
	f.Fuzz(func(t *testing.T, header string, body, secret []byte, skew int64) {
		secrets := [][]byte{secret}
		if err := VerifySignature(header, body, secrets, now); err == nil {
			if len(secret) == 0 {
				t.Fatal("accepted with an empty secret")
			}
			ts, _, _ := parseSignature(header)
			if want := Sign(secret, now, body); ts == "" || !containsMAC(header, body, secret, ts) {
				t.Fatalf("accepted %q for body %q (a fresh signature is %q)", header, body, want)
			}
		} else if err != ErrBadSignature {
			t.Fatalf("error %v is not ErrBadSignature", err)
		}
		skew %= 1000
		err := VerifySignature(Sign(secret, now.Add(time.Duration(skew)*time.Second), body), body, secrets, now)
		inWindow := skew >= -300 && skew <= 300
		if ok := err == nil; ok != (inWindow && len(secret) > 0) {
			t.Fatalf("fresh signature with skew %d s, secret %q: err = %v", skew, secret, err)
		}
	})
}

// containsMAC reports whether header carries the MAC of body under secret
// for timestamp ts, computed independently of VerifySignature.
func containsMAC(header string, body, secret []byte, ts string) bool {
	_, sigs, _ := parseSignature(header)
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if string(s) == string(want) {
			return true
		}
	}
	return false
}
