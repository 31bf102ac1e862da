package localaws

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// externalIP is the address another machine would reach this one on; the
// test skips, saying so, where the machine has none.
func externalIP(t *testing.T) net.IP {
	t.Helper()
	ip, err := ExternalIP()
	if errors.Is(err, ErrNoExternalAddress) {
		t.Skip("this machine has no non-loopback address to try the ports on")
	}
	if err != nil {
		t.Fatal(err)
	}
	return ip
}

func endpointPort(t *testing.T, endpoint string) int {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("endpoint %q: %v", endpoint, err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("endpoint %q has no port", endpoint)
	}
	return p
}

// TestEmulatorsStartedByTestsListenOnLoopbackOnly: DynamoDB Local and the
// SQS emulator that Start launches (go test without make) answer on
// 127.0.0.1 and refuse connections on the machine's other address, and no
// other port of theirs is open.
func TestEmulatorsStartedByTestsListenOnLoopbackOnly(t *testing.T) {
	ip := externalIP(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(DynamoEndpointEnv, "")
	t.Setenv(SQSEndpointEnv, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emu, err := Start(ctx, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	for name, ep := range map[string]string{"DynamoDB Local": emu.DynamoEndpoint, "SQS emulator": emu.SQSEndpoint} {
		if err := CheckLoopbackOnly(ip, endpointPort(t, ep)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	ports, err := ListeningPorts(os.Getpid())
	if err != nil {
		t.Skipf("cannot list this process tree's listeners: %v", err)
	}
	for _, p := range ports {
		if err := CheckLoopbackOnly(ip, p); err != nil {
			t.Errorf("a port the emulators opened: %v", err)
		}
	}
}

// TestStackScriptListensOnLoopbackOnly: the emulators infra/local/stack.sh
// starts for make test and make dev answer on 127.0.0.1 and refuse
// connections on the machine's other address.
func TestStackScriptListensOnLoopbackOnly(t *testing.T) {
	ip := externalIP(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "infra", "local", "stack.sh")
	state := t.TempDir()
	stack := func(args ...string) ([]byte, error) {
		cmd := exec.Command("bash", append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(), "LOCAL_STACK_STATE="+state)
		return cmd.CombinedOutput()
	}
	if out, err := stack("start"); err != nil {
		t.Fatalf("stack.sh start: %v\n%s", err, out)
	}
	defer func() {
		if out, err := stack("stop"); err != nil {
			t.Errorf("stack.sh stop: %v\n%s", err, out)
		}
	}()
	env, err := os.ReadFile(filepath.Join(state, "env"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(env), "\n") {
		name, ep, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasSuffix(name, "_ENDPOINT") {
			continue
		}
		checked++
		if err := CheckLoopbackOnly(ip, endpointPort(t, ep)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if checked != 2 {
		t.Fatalf("stack.sh env names %d endpoints, want DynamoDB and SQS:\n%s", checked, env)
	}
}
