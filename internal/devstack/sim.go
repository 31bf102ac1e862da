package devstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// simServer is the QBO simulator serving on its own loopback listener, as
// Intuit's servers are reached over the network.
type simServer struct {
	sim  *qbosim.Server
	url  string
	http *http.Server
}

func (s *Stack) startSim() error {
	l, err := listen(s.opts.QBOSimAddr)
	if err != nil {
		return fmt.Errorf("qbosim: %w", err)
	}
	sim := standalone.New(standalone.Options{ClientID: SimClientID, ClientSecret: SimClientSecret,
		Logger: s.opts.Log.With("component", "qbosim")})
	srv := &simServer{sim: sim, url: "http://" + l.Addr().String(),
		http: &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := srv.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Log.Error("qbosim stopped", "err", err)
		}
	}()
	s.sim = srv
	fmt.Fprintf(s.opts.Progress, "qbosim listening on %s\n", srv.url)
	return nil
}

func (s *simServer) close(ctx context.Context) { _ = s.http.Shutdown(ctx) }

// Sim is the simulator itself, for tests that inspect or steer it in process.
func (s *Stack) Sim() *qbosim.Server { return s.sim.sim }
