package devstack

import (
	"net/http"
	"strings"
)

// devRoutes serves the dev-only routes under /_dev/ in front of the
// gateway: POST /_dev/scheduler runs the scheduler as its hourly rule
// would, GET /_dev/status reports the queues.
func (s *Stack) devRoutes(gw http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_dev/scheduler", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RunScheduler(r.Context()); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"status": "failed", "error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /_dev/status", func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Status(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_dev/") {
			mux.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	})
}
