package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/localaws"
)

// emulators are shared by the package's tests (make test starts them once
// for the whole run); each stack gets its own table and queues.
var emulators *localaws.Emulators

func TestMain(m *testing.M) {
	root, err := localaws.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	emulators, err = localaws.Start(ctx, root, io.Discard)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start emulators:", err)
		os.Exit(1)
	}
	code := m.Run()
	emulators.Close()
	os.Exit(code)
}

// newStack starts a dev stack for tb on the shared emulators.
func newStack(tb testing.TB, opts devstack.Options) *devstack.Stack {
	opts.Emulators = emulators
	return devstack.ForTestWith(tb, opts)
}
