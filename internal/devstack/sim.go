package devstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/intuitoauth"
	"github.com/qbosync/qbosync/internal/qbosim/qboschema"
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
	sim := newSim()
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

// newSim assembles the simulator with Intuit's OAuth server and schema
// check, accepting the client SimClientID / SimClientSecret.
func newSim() *qbosim.Server {
	var sim *qbosim.Server
	auth := intuitoauth.New(intuitoauth.Config{ClientID: SimClientID, ClientSecret: SimClientSecret},
		realms(func(r string) (string, error) { return sim.ResolveRealm(r) }))
	sim = qbosim.New(qbosim.Config{Auth: simAuth{auth}, CheckSchema: qboschema.Check, ReadOnly: qboschema.ReadOnly})
	return sim
}

// realms lets the OAuth server ask the simulator, which is built after it.
type realms func(string) (string, error)

func (f realms) ResolveRealm(requested string) (string, error) { return f(requested) }

type simAuth struct{ *intuitoauth.Server }

func (a simAuth) Issue(realmID string) qbosim.Tokens { return qbosim.Tokens(a.Server.Issue(realmID)) }

// Sim is the simulator itself, for tests that inspect or steer it in process.
func (s *Stack) Sim() *qbosim.Server { return s.sim.sim }
