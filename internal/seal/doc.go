// Package seal encrypts a tenant's secrets (QuickBooks OAuth tokens,
// webhook signing secrets) for storage with envelope encryption: a data
// key from a key provider (AWS KMS, or a local key on the dev stack)
// encrypts the value with AES-256-GCM, and only the wrapped data key is
// stored beside the ciphertext. The tenant id is the KMS encryption
// context and part of the GCM additional data, so a value sealed for one
// tenant never opens as another's.
package seal
