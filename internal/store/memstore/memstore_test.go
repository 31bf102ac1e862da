package memstore_test

import (
	"testing"

	"github.com/qbosync/qbosync/internal/store/memstore"
	"github.com/qbosync/qbosync/internal/store/storetest"
	"github.com/qbosync/qbosync/internal/syncer"
	"github.com/qbosync/qbosync/internal/webhook"
)

var (
	_ syncer.Store          = (*memstore.Store)(nil)
	_ webhook.SnapshotStore = (*memstore.Store)(nil)
	_ webhook.SecretSource  = (*memstore.Store)(nil)
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return memstore.New(nil) })
}
