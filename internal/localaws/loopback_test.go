package localaws

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listening returns the local addresses (as /proc/net shows them, hex)
// of the TCP sockets listening on port.
func listening(t *testing.T, port int) []string {
	t.Helper()
	var out []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Skipf("no %s: %v", f, err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			addr, p, _ := strings.Cut(fields[1], ":")
			if n, _ := strconv.ParseInt(p, 16, 32); int(n) == port {
				out = append(out, addr)
			}
		}
	}
	return out
}

// TestSQSEmulatorListensOnLoopbackOnly: the SQS emulator the tests and
// make dev start is reachable from this machine only.
func TestSQSEmulatorListensOnLoopbackOnly(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	p, err := startFauxqs(filepath.Join(root, "infra", "local"), io.Discard, 0)
	if err != nil {
		t.Skipf("emulator not installed: %v", err)
	}
	defer p.stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.waitReady(ctx); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.endpoint)
	port, _ := strconv.Atoi(u.Port())
	addrs := listening(t, port)
	if len(addrs) == 0 {
		t.Fatalf("nothing listens on port %d", port)
	}
	for _, a := range addrs {
		if a != "0100007F" && a != "00000000000000000000000001000000" { // 127.0.0.1, ::1
			t.Errorf("the SQS emulator listens on %s, want 127.0.0.1 only", a)
		}
	}
}
