package rie

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// SSM answers GetParameter from Params (name → value), as SSM Parameter
// Store does for SecureString parameters; other actions are refused.
type SSM struct {
	mu     sync.Mutex
	Params map[string]string
}

func (s *SSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" {
		awsError(w, "InvalidAction", "the SSM stand-in serves GetParameter only")
		return
	}
	var in struct {
		Name           string
		WithDecryption bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		awsError(w, "ValidationException", err.Error())
		return
	}
	s.mu.Lock()
	v, ok := s.Params[in.Name]
	s.mu.Unlock()
	if !ok {
		awsError(w, "ParameterNotFound", "Parameter "+in.Name+" not found.")
		return
	}
	if !in.WithDecryption {
		v = "****"
	}
	awsJSON(w, map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Type": "SecureString", "Value": v, "Version": 1, "DataType": "text",
	}})
}

// KMS is a stand-in for one symmetric KMS key: GenerateDataKey and
// Decrypt, binding the encryption context as KMS does (a blob opens only
// under the context it was made with).
type KMS struct {
	KeyID string
	aead  cipher.AEAD
}

// NewKMS returns a KMS stand-in for a key called keyID.
func NewKMS(keyID string) (*KMS, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &KMS{KeyID: keyID, aead: aead}, nil
}

func (k *KMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyID             string `json:"KeyId"`
		KeySpec           string
		NumberOfBytes     int
		CiphertextBlob    []byte
		EncryptionContext map[string]string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		awsError(w, "ValidationException", err.Error())
		return
	}
	if in.KeyID != "" && in.KeyID != k.KeyID {
		awsError(w, "NotFoundException", "Key "+in.KeyID+" does not exist")
		return
	}
	aad := []byte(canonical(in.EncryptionContext))
	switch r.Header.Get("X-Amz-Target") {
	case "TrentService.GenerateDataKey":
		n := in.NumberOfBytes
		if in.KeySpec == "AES_256" || n == 0 {
			n = 32
		}
		plain := make([]byte, n)
		nonce := make([]byte, k.aead.NonceSize())
		_, _ = rand.Read(plain)
		_, _ = rand.Read(nonce)
		blob := k.aead.Seal(nonce, nonce, plain, aad)
		awsJSON(w, map[string]any{"KeyId": k.KeyID, "Plaintext": plain, "CiphertextBlob": blob})
	case "TrentService.Decrypt":
		ns := k.aead.NonceSize()
		if len(in.CiphertextBlob) < ns {
			awsError(w, "InvalidCiphertextException", "")
			return
		}
		plain, err := k.aead.Open(nil, in.CiphertextBlob[:ns], in.CiphertextBlob[ns:], aad)
		if err != nil {
			awsError(w, "InvalidCiphertextException", "")
			return
		}
		awsJSON(w, map[string]any{"KeyId": k.KeyID, "Plaintext": plain})
	default:
		awsError(w, "InvalidAction", "the KMS stand-in serves GenerateDataKey and Decrypt only")
	}
}

func canonical(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q;", k, m[k])
	}
	return b.String()
}

func awsJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func awsError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
