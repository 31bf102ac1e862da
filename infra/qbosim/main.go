// Command qbosim serves the QuickBooks Online simulator: Intuit's OAuth
// endpoints, the Accounting API under /v3/company/ and the control surface
// under /_sim/. See docs/qbosim.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "qbosim:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, announcing the address on stdout once the
// listener accepts connections.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("qbosim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8085", "listen address")
	clientID := fs.String("client-id", standalone.DefaultClientID, "OAuth client id")
	clientSecret := fs.String("client-secret", standalone.DefaultClientSecret, "OAuth client secret")
	rate := fs.Int("rate-per-minute", qbosim.DefaultRatePerMinute, "requests per minute per realm (negative: unlimited)")
	concurrent := fs.Int("max-concurrent", qbosim.DefaultMaxConcurrent, "requests in flight per realm (negative: unlimited)")
	latency := fs.Duration("latency", 0, "latency added to every API request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	srv := standalone.New(standalone.Options{
		ClientID: *clientID, ClientSecret: *clientSecret,
		RatePerMinute: *rate, MaxConcurrent: *concurrent, Latency: *latency, Logger: logger,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "qbosim listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shutdown)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
