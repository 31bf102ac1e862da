package billing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignKnownValue(t *testing.T) {
	// The worked example of docs/webhooks.md; the openssl one-liner there
	// prints the same hex.
	body := []byte(`{"id":"evt_1","type":"product.created","occurred_at":"2026-11-21T10:15:00Z","data":{"id":"prod_basic","version":1,"name":"Basic plan","active":true}}`)
	got := Sign([]byte("whsec_demo"), time.Unix(1795256100, 0), body)
	want := "t=1795256100,v1=" + docExampleHex
	if got != want {
		t.Errorf("Sign = %s\nwant   %s", got, want)
	}
}

// docExampleHex is HMAC-SHA256("whsec_demo", "1795256100." + body) of
// TestSignKnownValue, computed independently with openssl.
const docExampleHex = "d70549006d348a693bd6705d33137f368f6a9b38b105a527e7c30e4f59c080fb"

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1795280400, 0)
	body := []byte(`{"id":"evt_1"}`)
	oldKey, newKey, other := []byte("old-secret"), []byte("new-secret"), []byte("someone-else")
	hexOf := func(secret []byte, ts int64, b []byte) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
		m.Write(b)
		return hex.EncodeToString(m.Sum(nil))
	}
	ts := now.Unix()
	sigOld, sigNew := hexOf(oldKey, ts, body), hexOf(newKey, ts, body)
	tsStr := strconv.FormatInt(ts, 10)
	tests := []struct {
		name    string
		header  string
		body    []byte
		secrets [][]byte
		ok      bool
	}{
		{"signed with the only secret", Sign(oldKey, now, body), body, [][]byte{oldKey}, true},
		{"rotation: signed with the old", Sign(oldKey, now, body), body, [][]byte{newKey, oldKey}, true},
		{"rotation: signed with the new", Sign(newKey, now, body), body, [][]byte{oldKey, newKey}, true},
		{"rotation: sender sends both", "t=" + tsStr + ",v1=" + sigOld + ",v1=" + sigNew, body, [][]byte{newKey}, true},
		{"wrong secret", Sign(other, now, body), body, [][]byte{oldKey, newKey}, false},
		{"no secrets", Sign(oldKey, now, body), body, nil, false},
		{"empty secret never matches", Sign(nil, now, body), body, [][]byte{{}}, false},
		{"body changed", Sign(oldKey, now, body), []byte(`{"id":"evt_2"}`), [][]byte{oldKey}, false},
		{"body with trailing newline", Sign(oldKey, now, body), append(body, '\n'), [][]byte{oldKey}, false},
		{"300 s old", Sign(oldKey, now.Add(-300*time.Second), body), body, [][]byte{oldKey}, true},
		{"301 s old", Sign(oldKey, now.Add(-301*time.Second), body), body, [][]byte{oldKey}, false},
		{"300 s ahead", Sign(oldKey, now.Add(300*time.Second), body), body, [][]byte{oldKey}, true},
		{"301 s ahead", Sign(oldKey, now.Add(301*time.Second), body), body, [][]byte{oldKey}, false},
		{"t changed after signing", "t=" + strconv.FormatInt(ts+1, 10) + ",v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"spaces after commas", "t=" + tsStr + ", v1=" + sigOld, body, [][]byte{oldKey}, true},
		{"upper-case hex", "t=" + tsStr + ",v1=" + strings.ToUpper(sigOld), body, [][]byte{oldKey}, true},
		{"unknown scheme ignored", "t=" + tsStr + ",v0=abc,v1=" + sigOld, body, [][]byte{oldKey}, true},
		{"v1 first", "v1=" + sigOld + ",t=" + tsStr, body, [][]byte{oldKey}, true},
		{"empty header", "", body, [][]byte{oldKey}, false},
		{"no t", "v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"no v1", "t=" + tsStr, body, [][]byte{oldKey}, false},
		{"only unknown schemes", "t=" + tsStr + ",v2=" + sigOld, body, [][]byte{oldKey}, false},
		{"two t", "t=" + tsStr + ",t=" + tsStr + ",v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"negative t", "t=-" + tsStr + ",v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"t in milliseconds", "t=" + tsStr + "000,v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"t not a number", "t=abc,v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"v1 not hex", "t=" + tsStr + ",v1=zz" + sigOld[2:], body, [][]byte{oldKey}, false},
		{"v1 short", "t=" + tsStr + ",v1=" + sigOld[:62], body, [][]byte{oldKey}, false},
		{"v1 empty", "t=" + tsStr + ",v1=", body, [][]byte{oldKey}, false},
		{"part without =", "t=" + tsStr + ",v1," + sigOld, body, [][]byte{oldKey}, false},
		{"too many signatures", "t=" + tsStr + strings.Repeat(",v1="+sigNew, 8) + ",v1=" + sigOld, body, [][]byte{oldKey}, false},
		{"header too long", "t=" + tsStr + ",v1=" + sigOld + ",x=" + strings.Repeat("a", 5000), body, [][]byte{oldKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.header, tt.body, tt.secrets, now)
			if tt.ok && err != nil {
				t.Errorf("VerifySignature = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrBadSignature) {
				t.Errorf("VerifySignature = %v, want ErrBadSignature", err)
			}
			if err != nil && err != ErrBadSignature {
				t.Errorf("error %q carries detail; want exactly ErrBadSignature", err)
			}
		})
	}
}

func TestVerifySubSecondNow(t *testing.T) {
	// The sender's t is whole seconds; a receiver clock 0.9 s later is
	// still within the window at the edge.
	body := []byte("{}")
	signed := time.Unix(1795280400, 0)
	h := Sign([]byte("k"), signed, body)
	if err := VerifySignature(h, body, [][]byte{[]byte("k")}, signed.Add(300*time.Second+900*time.Millisecond)); err != nil {
		t.Errorf("300.9 s later: %v", err)
	}
}
