package qboauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// stateTTL bounds how long an admin may sit on Intuit's consent screen.
const stateTTL = 15 * time.Minute

// ErrBadState is returned for a state that is forged, altered or expired.
var ErrBadState = errors.New("invalid or expired state")

type statePayload struct {
	Tenant  string `json:"t"`
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

// signState returns an opaque, tamper-proof state naming tenant, valid for
// stateTTL. Signing instead of storing keeps the connect flow stateless.
func signState(key []byte, tenant string, now time.Time) (string, error) {
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	body, err := json.Marshal(statePayload{Tenant: tenant, Expires: now.Add(stateTTL).Unix(),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(body)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p)), nil
}

// verifyState returns the tenant of a state signed with key.
func verifyState(key []byte, state string, now time.Time) (string, error) {
	p, sig, ok := strings.Cut(state, ".")
	if !ok {
		return "", ErrBadState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return "", ErrBadState
	}
	body, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return "", ErrBadState
	}
	var sp statePayload
	if err := json.Unmarshal(body, &sp); err != nil || sp.Tenant == "" || now.Unix() > sp.Expires {
		return "", ErrBadState
	}
	return sp.Tenant, nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
