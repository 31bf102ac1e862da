package seal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// LocalKeys wraps data keys with a master key held in memory, with the
// same contract as KMS: a key wrapped under one encryption context
// unwraps only under the same one. For the local stack and tests.
type LocalKeys struct {
	master []byte
}

// NewLocalKeys returns a provider with a 32-byte master key.
func NewLocalKeys(master []byte) (*LocalKeys, error) {
	if len(master) != 32 {
		return nil, errors.New("local master key must be 32 bytes")
	}
	return &LocalKeys{master: slices.Clone(master)}, nil
}

// GenerateDataKey returns a random key and the key sealed under the master.
func (l *LocalKeys) GenerateDataKey(_ context.Context, encCtx map[string]string) ([]byte, []byte, error) {
	plain := make([]byte, 32)
	if _, err := rand.Read(plain); err != nil {
		return nil, nil, err
	}
	aead, err := gcm(l.master)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	return plain, aead.Seal(nonce, nonce, plain, canonical(encCtx)), nil
}

// DecryptDataKey unwraps a key GenerateDataKey wrapped under encCtx.
func (l *LocalKeys) DecryptDataKey(_ context.Context, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	aead, err := gcm(l.master)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < aead.NonceSize() {
		return nil, errors.New("wrapped key too short")
	}
	plain, err := aead.Open(nil, wrapped[:aead.NonceSize()], wrapped[aead.NonceSize():], canonical(encCtx))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key: %w", err)
	}
	return plain, nil
}

// canonical encodes an encryption context independent of map order.
func canonical(encCtx map[string]string) []byte {
	keys := make([]string, 0, len(encCtx))
	for k := range encCtx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%d:%s=%d:%s;", len(k), k, len(encCtx[k]), encCtx[k])
	}
	return []byte(b.String())
}
