// Command devstack runs the product on this machine (make dev): DynamoDB
// Local, the SQS emulator, the QBO simulator and a gateway that calls the
// functions' handlers as API Gateway and Lambda would (with -runtime=rie,
// the functions' bootstraps under AWS's Runtime Interface Emulator). With -demo it also
// connects a demo tenant and syncs the sample events. Ctrl-C stops all it
// started.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/qbosync/qbosync/internal/devstack"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "gateway listen address")
	simAddr := flag.String("qbosim-addr", "127.0.0.1:8090", "QBO simulator listen address")
	demo := flag.Bool("demo", true, "create a demo tenant, connect it to the simulator and sync the sample events")
	runtime := flag.String("runtime", "", `"" runs the handlers in this process; "rie" runs each function's bootstrap under aws-lambda-rie`)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *simAddr, *runtime, *demo); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, simAddr, runtime string, demo bool) error {
	emuLog, err := os.Create(filepath.Join(os.TempDir(), "qbosync-devstack-emulators.log"))
	if err != nil {
		return err
	}
	defer emuLog.Close()
	s, err := devstack.Start(ctx, devstack.Options{
		GatewayAddr: addr, QBOSimAddr: simAddr,
		Log:         slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		EmulatorLog: emuLog, Progress: os.Stdout, Runtime: runtime,
	})
	if err != nil {
		return fmt.Errorf("%w (emulator output: %s)", err, emuLog.Name())
	}
	defer func() {
		fmt.Println("\nstopping…")
		s.Close()
		fmt.Println("stopped")
	}()
	var d *devstack.Demo
	if demo {
		demoCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		dm, err := s.RunDemo(demoCtx, os.Stdout)
		if ctx.Err() != nil {
			return nil // stopped by the user
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		d = &dm
	}
	if err := s.WriteGuide(ctx, os.Stdout, d); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
