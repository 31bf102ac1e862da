package devstack

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// adminTokenPath mints admin tokens (Fixture.AdminTokenURL).
const adminTokenPath = "/_dev/admin-token"

// devRoutes serves the dev-only routes under /_dev/ in front of the
// gateway: POST /_dev/scheduler runs the scheduler as its hourly rule
// would, GET /_dev/status reports the queues, POST /_dev/admin-token
// mints an admin token for a provisioned tenant. They exist only in the
// local stack, which listens on loopback, and answer loopback callers only.
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
	mux.HandleFunc("POST "+adminTokenPath, s.mintAdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_dev/") {
			if !fromLoopback(r) {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden", "message": "dev routes answer this machine only"})
				return
			}
			mux.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	})
}

// mintAdminToken answers {"token", "tenant", "expires_at"} for
// {"tenant": "<id>"}: what the identity provider issues an admin in
// production, for a tenant the operator API provisioned.
func (s *Stack) mintAdminToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Tenant string `json:"tenant"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || !billing.ValidTenant(body.Tenant) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request", "message": `send {"tenant": "<id>"} with a well-formed tenant id`})
		return
	}
	if _, err := s.store.Tenant(r.Context(), body.Tenant); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "message": "no tenant " + body.Tenant + "; provision it with POST /api/v1/operator/tenants"})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal", "message": err.Error()})
		return
	}
	expires := time.Now().Add(time.Hour)
	writeJSON(w, http.StatusOK, map[string]any{"token": s.AdminToken(body.Tenant), "tenant": body.Tenant, "expires_at": expires.UTC().Truncate(time.Second)})
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
