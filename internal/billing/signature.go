package billing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the request header carrying the signature.
const SignatureHeader = "Billing-Signature"

// SignatureTolerance is how far the signed time may be from now, either way.
const SignatureTolerance = 300 * time.Second

// Bounds on what a header may make the verifier do.
const (
	maxSignatureHeader = 4096
	maxSignatures      = 8
)

// ErrBadSignature is the one error for every reason a signature is not
// accepted, so that callers cannot leak which check failed.
var ErrBadSignature = errors.New("invalid signature")

// Sign returns a Billing-Signature header value for body signed with
// secret at time t: "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature accepts header when its time is within
// SignatureTolerance of now and any of its v1 signatures matches body
// signed with any of secrets (two are active during a rotation). The
// header is "t=<unix>,v1=<hex>[,v1=<hex>...]"; other schemes are ignored
// so that senders can add new ones. Empty secrets never match.
func VerifySignature(header string, body []byte, secrets [][]byte, now time.Time) error {
	ts, sigs, ok := parseSignature(header)
	if !ok {
		return ErrBadSignature
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if d := now.Unix() - t; d > int64(SignatureTolerance/time.Second) || d < -int64(SignatureTolerance/time.Second) {
		return ErrBadSignature
	}
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}

// parseSignature returns the t value (digits only) and the decoded v1
// signatures of a header.
func parseSignature(header string) (string, [][]byte, bool) {
	if len(header) > maxSignatureHeader {
		return "", nil, false
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, false
		}
		switch k {
		case "t":
			if ts != "" || !isDigits(v) || len(v) > 12 {
				return "", nil, false
			}
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size || len(sigs) == maxSignatures {
				return "", nil, false
			}
			sigs = append(sigs, b)
		}
	}
	return ts, sigs, ts != "" && len(sigs) > 0
}
