// Command devstack runs the product on this machine (make dev): DynamoDB
// Local, the SQS emulator, the QBO simulator and a gateway that calls the
// functions' handlers as API Gateway and Lambda would (with -runtime=rie,
// the functions' bootstraps under AWS's Runtime Interface Emulator). With
// -demo it also connects a demo tenant and syncs the sample events. It
// writes what an integration test needs to drive it to -fixture
// (.dev/stack.json). -headless is for scripts and CI: no demo unless -demo
// is given, no guide, one line once the stack is ready. Ctrl-C (or
// SIGTERM) stops all it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
	"github.com/qbosync/qbosync/internal/localaws"
)

type options struct {
	addr, simAddr, fixture string
	runtime                string
	ports                  localaws.Ports
	demo, headless         bool
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "gateway listen address (loopback only)")
	flag.StringVar(&o.simAddr, "qbosim-addr", "127.0.0.1:8090", "QBO simulator listen address (loopback only)")
	flag.IntVar(&o.ports.Dynamo, "dynamodb-port", 0, "DynamoDB Local port on 127.0.0.1 (0: a free one)")
	flag.IntVar(&o.ports.SQS, "sqs-port", 0, "SQS emulator port on 127.0.0.1 (0: a free one)")
	flag.StringVar(&o.fixture, "fixture", "", "where to write the stack's URLs and tokens as JSON (default .dev/stack.json in the repository)")
	flag.BoolVar(&o.demo, "demo", true, "create a demo tenant, connect it to the simulator and sync the sample events")
	flag.BoolVar(&o.headless, "headless", false, "no guide and no demo (unless -demo is given): print one line when ready")
	flag.StringVar(&o.runtime, "runtime", "", `"" runs the handlers in this process; "rie" runs each function's bootstrap under aws-lambda-rie`)
	flag.Parse()
	if o.headless && !isSet("demo") {
		o.demo = false
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	restore := func() {}
	if !o.headless {
		ctx, restore = catchCtrlC(ctx)
	}
	err := run(ctx, o)
	restore()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(ctx context.Context, o options) error {
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	if o.fixture == "" {
		o.fixture = filepath.Join(root, ".dev", "stack.json")
	}
	emuLog, err := os.Create(filepath.Join(os.TempDir(), "qbosync-devstack-emulators.log"))
	if err != nil {
		return err
	}
	defer emuLog.Close()
	var progress io.Writer = os.Stdout
	if o.headless {
		progress = io.Discard
	}
	// The functions' JSON logs (every request, the admin page's polling
	// included) go to a file the guide names, so the guide stays on screen.
	logw, logPath, err := logFile(root, o.headless)
	if err != nil {
		return err
	}
	defer logw.Close()
	s, err := devstack.Start(ctx, devstack.Options{
		Root: root, GatewayAddr: o.addr, QBOSimAddr: o.simAddr, EmulatorPorts: o.ports,
		Log:         slog.New(slog.NewJSONHandler(logw, nil)),
		EmulatorLog: emuLog, Progress: progress, Runtime: o.runtime,
	})
	if err != nil {
		return fmt.Errorf("%w (emulator output: %s)", err, emuLog.Name())
	}
	defer func() {
		if !o.headless {
			fmt.Println("\nstopping…")
		}
		s.Close()
		os.Remove(o.fixture)
		if !o.headless {
			fmt.Println("stopped")
		}
	}()
	var d *devstack.Demo
	if o.demo {
		demoCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		dm, err := s.RunDemo(demoCtx, progress)
		if ctx.Err() != nil {
			return nil // stopped by the user
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		d = &dm
	}
	if err := s.WriteFixture(o.fixture, d); err != nil {
		return err
	}
	if o.headless {
		fmt.Printf("stack ready: gateway %s, fixture %s\n", s.GatewayURL(), o.fixture)
	} else {
		if err := s.WriteGuide(ctx, os.Stdout, d); err != nil {
			return err
		}
		fmt.Printf("\n  fixture         %s (URLs, tokens and the simulator's OAuth client, as JSON)\n", o.fixture)
		fmt.Printf("  logs            %s (the functions' JSON logs: tail -f it)\n", logPath)
		fmt.Printf("  emulator logs   %s\n", emuLog.Name())
	}
	<-ctx.Done()
	return nil
}

// logFile is where the functions log: .dev/devstack.log, or stderr for
// -headless, whose callers read it.
func logFile(root string, headless bool) (io.WriteCloser, string, error) {
	if headless {
		return nopCloser{os.Stderr}, "stderr", nil
	}
	path := filepath.Join(root, ".dev", "devstack.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, "", err
	}
	return f, path, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
