package qbosim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The control surface is the simulator's own API for tests and the dev
// stack. It needs no token. Errors are {"error": "..."}.

func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_sim/companies", s.createCompany)
	mux.HandleFunc("GET /_sim/clock", s.getClock)
	mux.HandleFunc("POST /_sim/clock", s.advanceClock)
	mux.HandleFunc("GET /_sim/companies/{realm}", s.withCompany(s.getCompany))
	mux.HandleFunc("GET /_sim/companies/{realm}/preferences", s.withCompany(s.getPreferences))
	mux.HandleFunc("PATCH /_sim/companies/{realm}/preferences", s.withCompany(s.patchPreferences))
	mux.HandleFunc("POST /_sim/companies/{realm}/faults", s.withCompany(s.addFault))
	mux.HandleFunc("GET /_sim/companies/{realm}/faults", s.withCompany(s.listFaults))
	mux.HandleFunc("DELETE /_sim/companies/{realm}/faults", s.withCompany(s.clearFaults))
	mux.HandleFunc("POST /_sim/companies/{realm}/expire-tokens", s.withCompany(s.expireTokens))
	mux.HandleFunc("GET /_sim/companies/{realm}/ledger", s.withCompany(s.getLedger))
	mux.HandleFunc("GET /_sim/companies/{realm}/stats", s.withCompany(s.getStats))
	mux.HandleFunc("GET /_sim/companies/{realm}/app/{entity}/{id}", s.withCompany(s.appObject))
	mux.HandleFunc("PUT /_sim/webhooks", s.putWebhooks)
	mux.HandleFunc("GET /_sim/webhooks", s.getWebhooks)
	mux.HandleFunc("DELETE /_sim/webhooks", s.deleteWebhooks)
	mux.HandleFunc("POST /_sim/webhooks/faults", s.addWebhookFaults)
	mux.HandleFunc("GET /_sim/webhooks/deliveries", s.listDeliveries)
}

type clockState struct {
	Now string `json:"now"`
}

func (s *Server) getClock(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, clockState{Now: s.cfg.Now().UTC().Format(time.RFC3339Nano)})
}

// advanceClock moves the simulator's time forward: token lifetimes,
// refresh-token rotation, MetaData times and default dates all follow.
func (s *Server) advanceClock(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Advance == nil {
		controlError(w, http.StatusNotFound, "this simulator's clock is not under control")
		return
	}
	var body struct {
		AdvanceSeconds int64 `json:"advance_seconds"`
	}
	if !decodeControl(w, r, &body) {
		return
	}
	if body.AdvanceSeconds <= 0 {
		controlError(w, http.StatusBadRequest, "advance_seconds must be positive")
		return
	}
	s.cfg.Advance(time.Duration(body.AdvanceSeconds) * time.Second)
	s.getClock(w, r)
}

type companyCreated struct {
	RealmID      string `json:"realm_id"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

func (s *Server) createCompany(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name     string `json:"name"`
		Country  string `json:"country"`
		Currency string `json:"currency"`
	}
	if !decodeControl(w, r, &body) {
		return
	}
	realm, err := s.CreateCompany(strings.TrimSpace(body.Name), strings.ToUpper(strings.TrimSpace(body.Country)),
		strings.ToUpper(strings.TrimSpace(body.Currency)))
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	t := s.cfg.Auth.Issue(realm)
	writeControl(w, http.StatusCreated, companyCreated{RealmID: realm, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn})
}

func (s *Server) withCompany(h func(http.ResponseWriter, *http.Request, *company)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.company(r.PathValue("realm"))
		if c == nil {
			controlError(w, http.StatusNotFound, fmt.Sprintf("no company with realm id %q", r.PathValue("realm")))
			return
		}
		h(w, r, c)
	}
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request, c *company) {
	c.mu.Lock()
	defer c.mu.Unlock()
	writeControl(w, http.StatusOK, map[string]any{
		"realm_id": c.realmID, "name": c.name, "country": c.country, "preferences": c.prefs,
	})
}

func (s *Server) getPreferences(w http.ResponseWriter, r *http.Request, c *company) {
	c.mu.Lock()
	defer c.mu.Unlock()
	writeControl(w, http.StatusOK, c.prefs)
}

func (s *Server) patchPreferences(w http.ResponseWriter, r *http.Request, c *company) {
	var p prefsPatch
	if !decodeControl(w, r, &p) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.cfg.Now()
	if err := c.applyPatch(p, now); err != nil {
		controlError(w, http.StatusConflict, err.Error())
		return
	}
	s.hooks.emit([]notice{{id: newEventID(), realm: c.realmID, entity: "Preferences", entityID: "1", action: "updated", at: now}})
	writeControl(w, http.StatusOK, c.prefs)
}

func (s *Server) addFault(w http.ResponseWriter, r *http.Request, c *company) {
	var rule faultRule
	if !decodeControl(w, r, &rule) {
		return
	}
	if err := rule.validate(); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	c.gate.addFault(rule)
	writeControl(w, http.StatusCreated, rule)
}

func (s *Server) listFaults(w http.ResponseWriter, r *http.Request, c *company) {
	writeControl(w, http.StatusOK, map[string]any{"faults": c.gate.pendingFaults()})
}

func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request, c *company) {
	c.gate.clearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) expireTokens(w http.ResponseWriter, r *http.Request, c *company) {
	s.cfg.Auth.ExpireRealm(c.realmID)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getLedger(w http.ResponseWriter, r *http.Request, c *company) {
	c.mu.Lock()
	v := c.ledgerView()
	c.mu.Unlock()
	writeControl(w, http.StatusOK, v)
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request, c *company) {
	writeControl(w, http.StatusOK, c.gate.snapshot())
}

// decodeControl reads a control body strictly: unknown members are errors,
// so a typo in a test's fault or preference never passes silently. An empty
// body is an empty object.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err.Error() != "EOF" {
		controlError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeControl(w, status, map[string]string{"error": msg})
}
