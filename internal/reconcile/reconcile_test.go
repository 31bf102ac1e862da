package reconcile

import (
	"context"
	"errors"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// busyStore has entities queued for sync; nothing else may be asked.
type busyStore struct{ Store }

func (busyStore) Counts(context.Context, string) (store.Counts, error) {
	return store.Counts{billing.KindInvoice: {store.StatusSynced: 3, store.StatusNotTried: 1}}, nil
}

type noTokens struct{ asked *bool }

func (n noTokens) Token(context.Context, string, bool) (store.Connection, error) {
	*n.asked = true
	return store.Connection{}, errors.New("no connection here")
}

// While entities wait for their first sync, reconciliation yields: it
// asks QuickBooks nothing, not even for a token.
func TestReconciliationYieldsToQueuedSyncs(t *testing.T) {
	asked := false
	r := &Reconciler{Store: busyStore{}, Tokens: noTokens{&asked}}
	if _, err := r.Run(context.Background(), "acme"); !errors.Is(err, ErrBusy) || asked {
		t.Errorf("Run with a queued entity: %v (token asked: %v), want ErrBusy before anything else", err, asked)
	}
}
