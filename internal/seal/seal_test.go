package seal

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

func localSealer(t *testing.T) (*Sealer, *countingKeys) {
	t.Helper()
	keys, err := NewLocalKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := &countingKeys{next: keys}
	return New(c), c
}

// countingKeys counts calls to the key provider, as KMS would bill them.
type countingKeys struct {
	next              KeyProvider
	mu                sync.Mutex
	generated, opened int
}

func (c *countingKeys) GenerateDataKey(ctx context.Context, encCtx map[string]string) ([]byte, []byte, error) {
	c.mu.Lock()
	c.generated++
	c.mu.Unlock()
	return c.next.GenerateDataKey(ctx, encCtx)
}

func (c *countingKeys) DecryptDataKey(ctx context.Context, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	c.mu.Lock()
	c.opened++
	c.mu.Unlock()
	return c.next.DecryptDataKey(ctx, wrapped, encCtx)
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	s, keys := localSealer(t)
	secret := []byte("refresh-token-value")
	sealed, err := s.Seal(ctx, "acme", "qbo-refresh-token", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plain text")
	}
	again, _ := s.Seal(ctx, "acme", "qbo-refresh-token", secret)
	if bytes.Equal(sealed, again) {
		t.Error("sealing twice gave the same bytes: the nonce is not fresh")
	}
	got, err := s.Open(ctx, "acme", "qbo-refresh-token", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open = %q, %v", got, err)
	}
	// Another function instance (a cold start) opens it through the provider.
	other := New(keys.next)
	if got, err := other.Open(ctx, "acme", "qbo-refresh-token", sealed); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open in another instance = %q, %v", got, err)
	}
	if keys.generated != 1 || keys.opened != 0 {
		t.Errorf("provider calls: %d generated, %d opened; want one data key per tenant, cached", keys.generated, keys.opened)
	}
}

func TestOpenRefusesWhatIsNotItsOwn(t *testing.T) {
	ctx := context.Background()
	s, _ := localSealer(t)
	sealed, err := s.Seal(ctx, "acme", "qbo-access-token", []byte("token"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	stranger, _ := NewLocalKeys(bytes.Repeat([]byte{9}, 32))
	for name, tc := range map[string]struct {
		s               *Sealer
		tenant, purpose string
		sealed          []byte
	}{
		"another tenant":      {s, "beta", "qbo-access-token", sealed},
		"another tenant cold": {New(s.keys), "beta", "qbo-access-token", sealed},
		"another purpose":     {s, "acme", "qbo-refresh-token", sealed},
		"tampered":            {s, "acme", "qbo-access-token", tampered},
		"truncated":           {s, "acme", "qbo-access-token", sealed[:10]},
		"empty":               {s, "acme", "qbo-access-token", nil},
		"another master key":  {New(stranger), "acme", "qbo-access-token", sealed},
	} {
		if _, err := tc.s.Open(ctx, tc.tenant, tc.purpose, tc.sealed); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

// fakeKMS records what the provider asks KMS for.
type fakeKMS struct {
	keys        *LocalKeys
	genContext  map[string]string
	decContext  map[string]string
	keyID, spec string
}

func (f *fakeKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	f.genContext, f.keyID, f.spec = in.EncryptionContext, *in.KeyId, string(in.KeySpec)
	plain, wrapped, err := f.keys.GenerateDataKey(ctx, in.EncryptionContext)
	return &kms.GenerateDataKeyOutput{Plaintext: plain, CiphertextBlob: wrapped}, err
}

func (f *fakeKMS) Decrypt(ctx context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	f.decContext = in.EncryptionContext
	plain, err := f.keys.DecryptDataKey(ctx, in.CiphertextBlob, in.EncryptionContext)
	return &kms.DecryptOutput{Plaintext: plain}, err
}

func TestKMSProviderBindsTheTenant(t *testing.T) {
	ctx := context.Background()
	keys, _ := NewLocalKeys(bytes.Repeat([]byte{3}, 32))
	f := &fakeKMS{keys: keys}
	sealed, err := New(NewKMS(f, "alias/tokens")).Seal(ctx, "acme", "webhook-secret", []byte("whsec"))
	if err != nil {
		t.Fatal(err)
	}
	if f.keyID != "alias/tokens" || f.spec != "AES_256" || f.genContext["tenant"] != "acme" {
		t.Errorf("GenerateDataKey got key %q spec %q context %v", f.keyID, f.spec, f.genContext)
	}
	if _, err := New(NewKMS(f, "alias/tokens")).Open(ctx, "acme", "webhook-secret", sealed); err != nil || f.decContext["tenant"] != "acme" {
		t.Errorf("Decrypt context %v, err %v", f.decContext, err)
	}
	if _, err := New(NewKMS(f, "alias/tokens")).Open(ctx, "beta", "webhook-secret", sealed); !errors.Is(err, ErrOpen) {
		t.Errorf("opened under another tenant's context: %v", err)
	}
}
