package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// simServer is the QBO simulator serving on its own loopback listener, as
// Intuit's servers are reached over the network.
type simServer struct {
	sim    *qbosim.Server
	url    string
	http   *http.Server
	grants *grantLog
}

func (s *Stack) startSim() error {
	l, err := listen(s.opts.QBOSimAddr)
	if err != nil {
		return fmt.Errorf("qbosim: %w", err)
	}
	sim := standalone.New(standalone.Options{ClientID: SimClientID, ClientSecret: SimClientSecret,
		Now: s.clock.Now, Logger: s.opts.Log.With("component", "qbosim")})
	grants := &grantLog{}
	srv := &simServer{sim: sim, url: "http://" + l.Addr().String(), grants: grants,
		http: &http.Server{Handler: grants.wrap(sim.Handler()), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := srv.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Log.Error("qbosim stopped", "err", err)
		}
	}()
	s.sim = srv
	fmt.Fprintf(s.opts.Progress, "qbosim listening on %s\n", srv.url)
	return nil
}

func (s *simServer) close(ctx context.Context) {
	s.sim.StopWebhooks()
	_ = s.http.Shutdown(ctx)
}

// Sim is the simulator itself, for tests that inspect or steer it in process.
func (s *Stack) Sim() *qbosim.Server { return s.sim.sim }

// Grants counts what Intuit's token and revocation endpoints answered.
type Grants struct {
	Codes         int // authorization codes exchanged
	Refreshes     int // refresh-token grants that succeeded
	InvalidGrants int // grants refused with invalid_grant
	Revocations   int // successful revocations
}

// Grants returns what the simulator's OAuth endpoints answered since the
// stack started, as Intuit's side of the wire saw it.
func (s *Stack) Grants() Grants { return s.sim.grants.snapshot() }

// grantLog watches the OAuth endpoints' requests and answers.
type grantLog struct {
	mu sync.Mutex
	g  Grants
}

func (l *grantLog) snapshot() Grants {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.g
}

func (l *grantLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Method == http.MethodPost && r.URL.Path == "/oauth2/v1/tokens/bearer"
		revoke := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tokens/revoke")
		if !token && !revoke {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec := &answer{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		switch {
		case revoke && rec.status == http.StatusOK:
			l.g.Revocations++
		case token && rec.status == http.StatusOK && form.Get("grant_type") == "refresh_token":
			l.g.Refreshes++
		case token && rec.status == http.StatusOK && form.Get("grant_type") == "authorization_code":
			l.g.Codes++
		case token && rec.errorCode() == "invalid_grant":
			l.g.InvalidGrants++
		}
	})
}

// answer records a response's status and the start of its body.
type answer struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (a *answer) WriteHeader(code int) {
	a.status = code
	a.ResponseWriter.WriteHeader(code)
}

func (a *answer) Write(b []byte) (int, error) {
	if len(a.head) < 1024 {
		a.head = append(a.head, b[:min(len(b), 1024-len(a.head))]...)
	}
	return a.ResponseWriter.Write(b)
}

func (a *answer) errorCode() string {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(a.head, &e)
	return e.Error
}
