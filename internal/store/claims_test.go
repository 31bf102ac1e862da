package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/store"
)

// TestConcurrentClaimsLeaveOneOwner: tenants claiming one company at the
// same moment get exactly one owner; the others are told it is taken.
func TestConcurrentClaimsLeaveOneOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.ClaimRealm(ctx, "9130000000000001", fmt.Sprintf("tenant-%d", i))
		}()
	}
	wg.Wait()
	owners := 0
	for i, err := range errs {
		var taken *store.RealmTakenError
		switch {
		case err == nil:
			owners++
		case !errors.As(err, &taken):
			t.Errorf("tenant-%d: %v, want nil or RealmTakenError", i, err)
		}
	}
	if owners != 1 {
		t.Fatalf("%d tenants own the company, want 1", owners)
	}
}

// TestStateIsSpentOnce: a state's nonce is accepted once, whoever asks.
func TestStateIsSpentOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	exp := time.Now().Add(15 * time.Minute)
	if err := s.ConsumeState(ctx, "acme", "n1", exp); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeState(ctx, "acme", "n1", exp); !errors.Is(err, store.ErrStateUsed) {
		t.Fatalf("second use: %v, want ErrStateUsed", err)
	}
}
