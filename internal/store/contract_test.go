package store_test

import (
	"testing"

	"github.com/qbosync/qbosync/internal/store/storetest"
)

// TestContract runs on DynamoDB Local the contract memstore is held to.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store { return newStore(t) })
}
