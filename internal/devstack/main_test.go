package devstack

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/localaws"
)

// emulators are shared by the package's tests; each test provisions its
// own table and queues on them.
var emulators *localaws.Emulators

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := localaws.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log, err := os.CreateTemp("", "devstack-emulators-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.Remove(log.Name())
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emulators, err = localaws.Start(ctx, root, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start emulators: %v (log: %s)\n", err, log.Name())
		return 1
	}
	defer emulators.Close()
	return m.Run()
}
