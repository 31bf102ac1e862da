package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/seal"
	"github.com/qbosync/qbosync/internal/store"
)

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := seal.NewLocalKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return seal.New(keys)
}

// newRawStore returns a sealing store and a way to read its table's items
// exactly as DynamoDB holds them.
func newRawStore(t *testing.T) (*store.Store, func() []map[string]types.AttributeValue) {
	t.Helper()
	_, _, res := stack.ForTest(t)
	s := store.New(stack.DynamoDB, res.Table, nil).WithSealer(testSealer(t))
	scan := func() []map[string]types.AttributeValue {
		out, err := stack.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: &res.Table})
		if err != nil {
			t.Fatal(err)
		}
		return out.Items
	}
	return s, scan
}

// contains reports whether any attribute of items holds needle, in a
// string or inside binary data.
func contains(items []map[string]types.AttributeValue, needle string) bool {
	var walk func(av types.AttributeValue) bool
	walk = func(av types.AttributeValue) bool {
		switch v := av.(type) {
		case *types.AttributeValueMemberS:
			return strings.Contains(v.Value, needle)
		case *types.AttributeValueMemberB:
			return bytes.Contains(v.Value, []byte(needle))
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				if walk(e) {
					return true
				}
			}
		case *types.AttributeValueMemberM:
			for _, e := range v.Value {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	for _, it := range items {
		for _, av := range it {
			if walk(av) {
				return true
			}
		}
	}
	return false
}

func TestSecretsAreSealedAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, scan := newRawStore(t)
	const whsec, access, refresh = "whsec-plain-4711", "access-plain-4712", "refresh-plain-4713"
	if err := s.CreateTenant(ctx, store.Tenant{ID: "acme", Name: "Acme", WebhookSecrets: []string{whsec}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveConnection(ctx, store.Connection{Tenant: "acme", RealmID: "r1", Status: store.ConnConnected,
		AccessToken: access, RefreshToken: refresh}); err != nil {
		t.Fatal(err)
	}
	items := scan()
	for _, secret := range []string{whsec, access, refresh} {
		if contains(items, secret) {
			t.Errorf("%q is stored in the clear", secret)
		}
	}
	c, err := s.Connection(ctx, "acme")
	if err != nil || c.AccessToken != access || c.RefreshToken != refresh {
		t.Fatalf("connection opens to %q/%q, %v", c.AccessToken, c.RefreshToken, err)
	}
	if st, _ := s.ConnectionStatus(ctx, "acme"); st.AccessToken != "" || st.RefreshToken != "" || st.RealmID != "r1" {
		t.Errorf("ConnectionStatus = %+v, want realm r1 without tokens", st)
	}
	got, err := s.WebhookSecrets(ctx, "acme")
	if err != nil || len(got) != 1 || string(got[0]) != whsec {
		t.Errorf("webhook secrets = %q, %v", got, err)
	}
}

func TestSealedValuesAreBoundToTheirTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	sl := testSealer(t)
	s := store.New(stack.DynamoDB, res.Table, nil).WithSealer(sl)
	for _, id := range []string{"acme", "beta"} {
		if _, err := s.SaveConnection(ctx, store.Connection{Tenant: id, RealmID: "r-" + id, Status: store.ConnConnected,
			AccessToken: "at-" + id, RefreshToken: "rt-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	// Copy acme's sealed tokens onto beta's item, as someone with write
	// access to the table might: they must not open as beta's.
	acme, err := stack.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &res.Table, Key: itemKey("T#acme", "QBO")})
	if err != nil {
		t.Fatal(err)
	}
	acme.Item["pk"] = &types.AttributeValueMemberS{Value: "T#beta"}
	if _, err := stack.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &res.Table, Item: acme.Item}); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Connection(ctx, "beta"); err == nil {
		t.Fatalf("acme's sealed tokens opened as beta's: %q", c.AccessToken)
	}
	// A store without a sealer neither writes nor reads secrets.
	plain := store.New(stack.DynamoDB, res.Table, nil)
	if _, err := plain.SaveConnection(ctx, store.Connection{Tenant: "gamma", RealmID: "r", AccessToken: "x"}); !errors.Is(err, store.ErrNoSealer) {
		t.Errorf("saving a token without a sealer: err = %v, want ErrNoSealer", err)
	}
	if _, err := plain.Connection(ctx, "acme"); !errors.Is(err, store.ErrNoSealer) {
		t.Errorf("reading a token without a sealer: err = %v, want ErrNoSealer", err)
	}
}

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}
}

func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateTenant(ctx, store.Tenant{ID: "acme", WebhookSecrets: []string{"old"}}); err != nil {
		t.Fatal(err)
	}
	next, err := s.AddWebhookSecret(ctx, "acme", "new")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.WebhookSecrets(ctx, "acme"); len(got) != 2 || string(got[0]) != "old" || string(got[1]) != "new" {
		t.Fatalf("during rotation secrets = %q, want old and new", got)
	}
	if _, err := s.AddWebhookSecret(ctx, "acme", "third"); !errors.Is(err, store.ErrTooMany) {
		t.Errorf("third secret: err = %v, want ErrTooMany", err)
	}
	if _, err := s.AddWebhookSecret(ctx, "nobody", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown tenant: err = %v, want ErrNotFound", err)
	}
	tn, _ := s.Tenant(ctx, "acme")
	if len(tn.Secrets) != 2 || tn.Secrets[1].ID != next.ID || len(tn.WebhookSecrets) != 0 {
		t.Fatalf("tenant secrets = %+v (values %q)", tn.Secrets, tn.WebhookSecrets)
	}
	if err := s.RetireWebhookSecret(ctx, "acme", tn.Secrets[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.WebhookSecrets(ctx, "acme"); len(got) != 1 || string(got[0]) != "new" {
		t.Fatalf("after retiring the old secret = %q, want new", got)
	}
	if err := s.RetireWebhookSecret(ctx, "acme", next.ID); !errors.Is(err, store.ErrLastSecret) {
		t.Errorf("retiring the last secret: err = %v, want ErrLastSecret", err)
	}
	if err := s.RetireWebhookSecret(ctx, "acme", "whs_unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retiring an unknown secret: err = %v, want ErrNotFound", err)
	}
}

func TestRefreshLeaseHasOneHolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clk := newClockedStore(t)
	s = s.WithSealer(testSealer(t))
	if _, err := s.SaveConnection(ctx, store.Connection{Tenant: "acme", RealmID: "r1", Status: store.ConnConnected}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.AcquireRefreshLease(ctx, "acme", string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d holders of the refresh lease, want 1", winners)
	}
	if ok, _ := s.AcquireRefreshLease(ctx, "nobody", "a", time.Minute); ok {
		t.Error("lease granted on a tenant that never connected")
	}
	// Saving the connection (the refreshed tokens) releases the lease.
	c, _ := s.ConnectionStatus(ctx, "acme")
	if _, err := s.SaveConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireRefreshLease(ctx, "acme", "z", time.Minute); !ok {
		t.Error("lease still held after the connection was saved")
	}
	if err := s.ReleaseRefreshLease(ctx, "acme", "someone-else"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireRefreshLease(ctx, "acme", "y", time.Minute); ok {
		t.Error("another owner's release freed z's lease")
	}
	if err := s.ReleaseRefreshLease(ctx, "acme", "z"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireRefreshLease(ctx, "acme", "y", time.Millisecond); !ok {
		t.Error("lease not free after its owner released it")
	}
	clk.add(5 * time.Millisecond)
	if ok, _ := s.AcquireRefreshLease(ctx, "acme", "x", time.Minute); !ok {
		t.Error("expired lease not taken over")
	}
}
