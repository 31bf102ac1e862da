package seal

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMSAPI is the slice of the KMS client the provider uses.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, opts ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// KMS makes data keys with an AWS KMS key.
type KMS struct {
	client KMSAPI
	keyID  string
}

// NewKMS returns a provider using the KMS key keyID (id, ARN or alias).
func NewKMS(client KMSAPI, keyID string) *KMS { return &KMS{client: client, keyID: keyID} }

// GenerateDataKey asks KMS for an AES-256 data key under encCtx.
func (k *KMS) GenerateDataKey(ctx context.Context, encCtx map[string]string) ([]byte, []byte, error) {
	out, err := k.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId: aws.String(k.keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: encCtx,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("kms generate data key: %w", err)
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// DecryptDataKey asks KMS to unwrap a data key; KMS refuses it under any
// other encryption context.
func (k *KMS) DecryptDataKey(ctx context.Context, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId: aws.String(k.keyID), CiphertextBlob: wrapped, EncryptionContext: encCtx,
	})
	if err != nil {
		return nil, fmt.Errorf("kms decrypt data key: %w", err)
	}
	return out.Plaintext, nil
}
