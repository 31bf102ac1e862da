package qbosim

import "net/http"

// putWebhooks subscribes the app's endpoint: every later change made
// through the API or the control surface is delivered there.
func (s *Server) putWebhooks(w http.ResponseWriter, r *http.Request) {
	var cfg WebhookConfig
	if !decodeControl(w, r, &cfg) {
		return
	}
	if err := cfg.validate(); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.setWebhooks(cfg)
	writeControl(w, http.StatusOK, publicConfig(cfg))
}

// SetWebhooks subscribes the app's endpoint, as PUT /_sim/webhooks does.
func (s *Server) SetWebhooks(cfg WebhookConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	s.setWebhooks(cfg)
	return nil
}

func (s *Server) setWebhooks(cfg WebhookConfig) { s.hooks.subscribe(&cfg) }

// StopWebhooks ends the subscription, as DELETE /_sim/webhooks does: what
// waits is dropped and a delivery being retried stops.
func (s *Server) StopWebhooks() { s.hooks.subscribe(nil) }

// publicConfig leaves the verifier token out of answers: it is a secret.
func publicConfig(cfg WebhookConfig) WebhookConfig {
	cfg.VerifierToken = ""
	if cfg.Format == "" {
		cfg.Format = FormatCloudEvents
	}
	return cfg
}

type webhookState struct {
	Subscription *WebhookConfig `json:"subscription"`
	Pending      int            `json:"pending"`
	Faults       WebhookFaults  `json:"faults"`
}

func (s *Server) getWebhooks(w http.ResponseWriter, r *http.Request) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	st := webhookState{Pending: len(s.hooks.outbox), Faults: s.hooks.faults}
	if s.hooks.cfg != nil {
		c := publicConfig(*s.hooks.cfg)
		st.Subscription = &c
	}
	writeControl(w, http.StatusOK, st)
}

// deleteWebhooks ends the subscription; undelivered notices are dropped.
func (s *Server) deleteWebhooks(w http.ResponseWriter, r *http.Request) {
	s.StopWebhooks()
	w.WriteHeader(http.StatusNoContent)
}

// addWebhookFaults adds to the deliveries to drop or duplicate.
func (s *Server) addWebhookFaults(w http.ResponseWriter, r *http.Request) {
	var f WebhookFaults
	if !decodeControl(w, r, &f) {
		return
	}
	if f.Drop < 0 || f.Duplicate < 0 || f.Drop+f.Duplicate == 0 {
		controlError(w, http.StatusBadRequest, "send drop or duplicate, a positive count")
		return
	}
	s.hooks.mu.Lock()
	s.hooks.faults.Drop += f.Drop
	s.hooks.faults.Duplicate += f.Duplicate
	out := s.hooks.faults
	s.hooks.mu.Unlock()
	writeControl(w, http.StatusCreated, out)
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Delivery, 0, len(s.hooks.deliveries))
	for _, d := range s.hooks.deliveries {
		out = append(out, *d)
	}
	writeControl(w, http.StatusOK, map[string]any{"deliveries": out})
}

// Webhooks returns the app's subscription, verifier token included, for
// tests in process that sign deliveries of their own.
func (s *Server) Webhooks() (WebhookConfig, bool) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if s.hooks.cfg == nil {
		return WebhookConfig{}, false
	}
	return *s.hooks.cfg, true
}

// AddWebhookFaults drops or duplicates the next deliveries, as POST
// /_sim/webhooks/faults does.
func (s *Server) AddWebhookFaults(f WebhookFaults) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.faults.Drop += f.Drop
	s.hooks.faults.Duplicate += f.Duplicate
}

// Deliveries returns the webhook deliveries so far, oldest first, and how
// many notices wait for a delivery.
func (s *Server) Deliveries() ([]Delivery, int) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Delivery, 0, len(s.hooks.deliveries))
	for _, d := range s.hooks.deliveries {
		out = append(out, *d)
	}
	return out, len(s.hooks.outbox)
}
