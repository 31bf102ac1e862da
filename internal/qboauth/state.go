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

// stateTTL bounds how long an admin may sit on Intuit's consent screen,
// and how long a confirmation stays valid.
const stateTTL = 15 * time.Minute

// maxStateLen bounds a state or confirmation read from a request.
const maxStateLen = 1024

// ErrBadState is returned for a state that is forged, altered or expired.
var ErrBadState = errors.New("invalid or expired state")

// Signed actions: what a state or confirmation token allows.
const (
	actConnect      = "connect"
	actConnectReset = "connect_reset" // may replace the connected company
	actForgetLinks  = "forget_links"
)

type statePayload struct {
	Tenant  string `json:"t"`
	Action  string `json:"a"`
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

// signState returns an opaque, tamper-proof token allowing action for
// tenant, valid for stateTTL. Signing instead of storing keeps the flows
// stateless.
func signState(key []byte, tenant, action string, now time.Time) (string, error) {
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	body, err := json.Marshal(statePayload{Tenant: tenant, Action: action, Expires: now.Add(stateTTL).Unix(),
		Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(body)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p)), nil
}

// verifyState returns the payload of a token signed with key.
func verifyState(key []byte, state string, now time.Time) (statePayload, error) {
	if len(key) == 0 || len(state) > maxStateLen {
		return statePayload{}, ErrBadState
	}
	p, sig, ok := strings.Cut(state, ".")
	if !ok {
		return statePayload{}, ErrBadState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return statePayload{}, ErrBadState
	}
	body, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return statePayload{}, ErrBadState
	}
	var sp statePayload
	if err := json.Unmarshal(body, &sp); err != nil || sp.Tenant == "" || now.Unix() > sp.Expires {
		return statePayload{}, ErrBadState
	}
	return sp, nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
