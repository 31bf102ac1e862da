package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// KeyProvider makes and unwraps data keys bound to an encryption context.
type KeyProvider interface {
	// GenerateDataKey returns a fresh 32-byte key and the same key wrapped.
	GenerateDataKey(ctx context.Context, encCtx map[string]string) (plain, wrapped []byte, err error)
	// DecryptDataKey unwraps a key wrapped under the same encryption context.
	DecryptDataKey(ctx context.Context, wrapped []byte, encCtx map[string]string) ([]byte, error)
}

// ErrOpen: a sealed value did not open (tampered, another tenant's or
// purpose's, or wrapped by a key this provider does not hold).
var ErrOpen = errors.New("sealed value does not open")

// version 1: 0x01 | len(wrapped) uint16 | wrapped | nonce | ciphertext+tag.
const version = 1

// Sealer seals and opens values. It caches data keys for its lifetime (a
// function's cold start): one key per tenant for sealing, and every key it
// unwrapped for opening, so a warm function calls KMS rarely.
type Sealer struct {
	keys KeyProvider

	mu     sync.Mutex
	sealBy map[string]dataKey // tenant → key used to seal
	openBy map[string][]byte  // tenant + wrapped key → plain key
}

type dataKey struct{ plain, wrapped []byte }

// New returns a Sealer using keys.
func New(keys KeyProvider) *Sealer {
	return &Sealer{keys: keys, sealBy: map[string]dataKey{}, openBy: map[string][]byte{}}
}

// Seal encrypts plain for tenant; purpose (e.g. "qbo-refresh-token") is
// bound into the ciphertext so values cannot be swapped between fields.
func (s *Sealer) Seal(ctx context.Context, tenant, purpose string, plain []byte) ([]byte, error) {
	k, err := s.sealKey(ctx, tenant)
	if err != nil {
		return nil, err
	}
	aead, err := gcm(k.plain)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	out := make([]byte, 0, 3+len(k.wrapped)+len(nonce)+len(plain)+aead.Overhead())
	out = append(out, version)
	out = binary.BigEndian.AppendUint16(out, uint16(len(k.wrapped)))
	out = append(out, k.wrapped...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plain, aad(tenant, purpose)), nil
}

// Open decrypts a value Seal produced for the same tenant and purpose.
func (s *Sealer) Open(ctx context.Context, tenant, purpose string, sealed []byte) ([]byte, error) {
	if len(sealed) < 3 || sealed[0] != version {
		return nil, ErrOpen
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	if len(sealed) < 3+n {
		return nil, ErrOpen
	}
	wrapped, rest := sealed[3:3+n], sealed[3+n:]
	key, err := s.openKey(ctx, tenant, wrapped)
	if err != nil {
		return nil, err
	}
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(rest) < aead.NonceSize() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad(tenant, purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

func (s *Sealer) sealKey(ctx context.Context, tenant string) (dataKey, error) {
	s.mu.Lock()
	k, ok := s.sealBy[tenant]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	plain, wrapped, err := s.keys.GenerateDataKey(ctx, encryptionContext(tenant))
	if err != nil {
		return dataKey{}, fmt.Errorf("seal for %s: data key: %w", tenant, err)
	}
	if len(plain) != 32 {
		return dataKey{}, fmt.Errorf("seal for %s: data key of %d bytes, want 32", tenant, len(plain))
	}
	k = dataKey{plain: plain, wrapped: wrapped}
	s.mu.Lock()
	s.sealBy[tenant] = k
	s.openBy[tenant+"\x00"+string(wrapped)] = plain
	s.mu.Unlock()
	return k, nil
}

func (s *Sealer) openKey(ctx context.Context, tenant string, wrapped []byte) ([]byte, error) {
	id := tenant + "\x00" + string(wrapped)
	s.mu.Lock()
	k, ok := s.openBy[id]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := s.keys.DecryptDataKey(ctx, wrapped, encryptionContext(tenant))
	if err != nil {
		return nil, fmt.Errorf("open for %s: %w: %w", tenant, ErrOpen, err)
	}
	if len(k) != 32 {
		return nil, ErrOpen
	}
	s.mu.Lock()
	s.openBy[id] = k
	s.mu.Unlock()
	return k, nil
}

func encryptionContext(tenant string) map[string]string {
	return map[string]string{"tenant": tenant}
}

// aad binds the ciphertext to its tenant and field; tenant ids hold no NUL.
func aad(tenant, purpose string) []byte { return []byte(tenant + "\x00" + purpose) }

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(b)
}
