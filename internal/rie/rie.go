// Package rie runs the functions' real bootstraps under AWS's Lambda
// Runtime Interface Emulator (aws-lambda-rie, installed into infra/local/bin
// by infra/local/stack.sh), each with its own recording endpoint for AWS's
// APIs, so tests exercise the binaries, the environment template.yaml
// gives them and the actions their roles must allow.
package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"github.com/qbosync/qbosync/internal/localaws"
	"time"
)

// Binary is where infra/local/stack.sh installs the emulator, relative to
// the repository root.
const Binary = "infra/local/bin/aws-lambda-rie"

// invokePath is the emulator's invoke endpoint (Lambda's Invoke API).
const invokePath = "/2015-03-31/functions/function/invocations"

// Function is one bootstrap running under the emulator.
type Function struct {
	Name      string
	URL       string // the emulator's base URL
	Bootstrap string

	cmd    *exec.Cmd
	out    *syncBuffer
	exited <-chan struct{}
	// busy serialises invokes: the emulator is one execution environment,
	// which like Lambda's takes one invocation at a time (it crashes on a
	// second). Lambda's concurrency is more environments.
	busy sync.Mutex
}

// Start runs bootstrap under the emulator at rie on a free loopback port,
// with exactly env as the process environment (the emulator passes it on
// to the function). Output of both goes to logTo as well as to Output.
func Start(ctx context.Context, rie, name, bootstrap string, env map[string]string, logTo io.Writer) (*Function, error) {
	// Two ports: the invoke API, and the Runtime API the bootstrap polls
	// (which would otherwise be 127.0.0.1:9001 for every function).
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort), "--log-level", "error", bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = environ(env)
	ownGroup(cmd)
	out := &syncBuffer{}
	w := io.Writer(out)
	if logTo != nil {
		w = io.MultiWriter(out, logTo)
	}
	cmd.Stdout, cmd.Stderr = w, w
	exited, err := localaws.StartReaped(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s under %s: %w", name, rie, err)
	}
	f := &Function{Name: name, URL: "http://" + addr, Bootstrap: bootstrap, cmd: cmd, out: out, exited: exited}
	if err := f.waitListening(ctx, addr); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (f *Function) waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-f.exited:
			return fmt.Errorf("%s: emulator exited at start: %s", f.Name, f.out.String())
		case <-ctx.Done():
			return fmt.Errorf("%s: emulator not listening: %w", f.Name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: emulator not listening on %s after 15s", f.Name, addr)
		}
	}
}

// InvokeError is a function error the emulator returned instead of a result.
type InvokeError struct {
	Function string
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *InvokeError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Function, e.Type, e.Message)
}

// Invoke sends event as Lambda's Invoke API does and decodes the result
// into out (nil: ignored). A function error is an *InvokeError.
func (f *Function) Invoke(ctx context.Context, event, out any) error {
	f.busy.Lock()
	defer f.busy.Unlock()
	body, err := json.Marshal(event)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL+invokePath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("invoke %s: read result: %w", f.Name, err)
	}
	fe := &InvokeError{Function: f.Name}
	if json.Unmarshal(b, fe) == nil && fe.Type != "" {
		return fe
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("invoke %s: emulator answered %d: %s", f.Name, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("invoke %s: result %s: %w", f.Name, b, err)
	}
	return nil
}

var report = regexp.MustCompile(`REPORT RequestId: \S+\t(?:Init Duration: ([0-9.]+) ms\t)?Duration: ([0-9.]+) ms`)

// ColdStart reads the emulator's first REPORT line: its Init Duration
// (the emulator's hand-over of the init to the runtime) and the first
// invoke's Duration, which waits for the bootstrap to start, read its
// configuration and ask for work: the cold start as the caller sees it.
func (f *Function) ColdStart() (init, firstInvoke time.Duration, err error) {
	m := report.FindStringSubmatch(f.out.String())
	if m == nil || m[1] == "" {
		return 0, 0, errors.New(f.Name + ": no REPORT with an Init Duration yet")
	}
	ms := func(s string) time.Duration {
		v, _ := strconv.ParseFloat(s, 64)
		return time.Duration(v * float64(time.Millisecond))
	}
	return ms(m[1]), ms(m[2]), nil
}

// Output is what the emulator and the function printed so far.
func (f *Function) Output() string { return f.out.String() }

// Close stops the emulator and the bootstrap it runs.
func (f *Function) Close() {
	select {
	case <-f.exited:
		return
	default:
	}
	_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		<-f.exited
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BinaryPath returns the emulator under root, or an error saying how to
// install it.
func BinaryPath(root string) (string, error) {
	p := filepath.Join(root, Binary)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("aws-lambda-rie not installed at %s; run: bash infra/local/stack.sh install", p)
	}
	return p, nil
}
