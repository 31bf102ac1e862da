package devstack

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// ForTest starts a stack for tb and closes it when tb ends. It reuses the
// emulators named by DDB_ENDPOINT/SQS_ENDPOINT (make test sets them) and
// otherwise starts its own for tb. The functions' logs go to tb.Log, so
// they show for failing tests and with -v.
func ForTest(tb testing.TB) *Stack {
	tb.Helper()
	return ForTestWith(tb, Options{})
}

// ForTestWith is ForTest with options. To share emulators between the
// tests of a package, start them once in TestMain (localaws.Start) and
// pass them in opts.Emulators; each stack then gets its own table and
// queues, deleted when its test ends.
func ForTestWith(tb testing.TB, opts Options) *Stack {
	tb.Helper()
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{}))
	}
	if opts.Prefix == "" {
		opts.Prefix = "t" + hex.EncodeToString(randomBytes(3)) + "-" + testPrefix(tb.Name())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		tb.Fatalf("start local stack: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// testPrefix keeps the letters and digits of a test name, shortened, so
// its resources can be told apart in the emulators.
func testPrefix(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 20 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// testWriter sends log lines to tb.Log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
