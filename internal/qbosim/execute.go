package qbosim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// maxReplays bounds the requestid memory of a company; the oldest answers
// are forgotten first. Intuit does not document its retention either.
const maxReplays = 10000

// replay is a stored answer to a request carrying a requestid.
type replay struct {
	status int
	body   []byte
	seq    int
}

// execute performs a call against a company under its lock.
func (s *Server) execute(c *company, req *apiRequest) *response {
	c.mu.Lock()
	defer c.mu.Unlock()
	if req.replayable() {
		if r, ok := c.replays[req.requestID]; ok {
			c.gate.note(func(st *stats) { st.Replays++ })
			return &response{status: r.status, body: r.body}
		}
	}
	now := s.cfg.Now()
	payload, err := s.perform(c, req, now)
	notices := c.takeNotices()
	var res *response
	if err != nil {
		res = s.faultResponse(err)
	} else {
		s.hooks.emit(notices)
		payload["time"] = responseTime(now)
		res = &response{status: http.StatusOK, body: mustJSON(payload)}
	}
	if req.replayable() {
		c.remember(req.requestID, res)
	}
	return res
}

func (s *Server) perform(c *company, req *apiRequest, now time.Time) (map[string]any, error) {
	if req.bodyErr != nil {
		return nil, errMalformed(req.bodyErr.Error())
	}
	switch req.op {
	case "read":
		row, err := c.read(req.kind, req.id)
		if err != nil {
			return nil, err
		}
		return map[string]any{req.kind.name: row}, nil
	case "query":
		qr, err := c.runQuery(req.query)
		if err != nil {
			return nil, err
		}
		return map[string]any{"QueryResponse": qr}, nil
	case "cdc":
		return c.cdc(req.params, now)
	case "batch":
		return c.batch(req.body, now)
	}
	row, err := c.write(req.op, req.kind, req.body, req.params.Get("operation"), req.opts, now)
	if err != nil {
		return nil, err
	}
	return map[string]any{req.kind.name: row}, nil
}

// write performs create, update, delete or void and renders the result.
// operation is the URL's operation parameter: a Payment is voided only
// through operation=update&include=void, as QuickBooks requires.
func (c *company) write(op string, k *kind, body map[string]any, operation string, opts writeOptions, now time.Time) (map[string]any, error) {
	c.bumped = make(map[*entity]bool)
	row, err := c.apply(op, k, body, operation, opts, now)
	if err == nil {
		c.noteChanges(k.name, idText(row["Id"]), op, now)
	}
	return row, err
}

func (c *company) apply(op string, k *kind, body map[string]any, operation string, opts writeOptions, now time.Time) (map[string]any, error) {
	switch op {
	case "delete":
		return c.remove(k, body, now)
	case "void":
		if k.name == "Payment" && !strings.EqualFold(operation, "update") {
			return nil, errUnsupportedOperation("Operation void is not supported for Payment; use operation=update&include=void.")
		}
		e, err := c.void(k, body, now)
		if err != nil {
			return nil, err
		}
		return e.render(), nil
	}
	if op == "update" && idText(body["Id"]) == "" {
		return nil, errRequired("Id")
	}
	e, err := c.save(k, body, opts, now)
	if err != nil {
		return nil, err
	}
	return e.render(), nil
}

// read returns one entity. Deleted transactions are gone; inactive
// name-list entities can still be read.
func (c *company) read(k *kind, id string) (map[string]any, error) {
	switch k.name {
	case "Preferences":
		return c.preferencesEntity(), nil
	case "CompanyInfo":
		if id != c.realmID && id != "1" {
			return nil, errNotFound(k.name, id)
		}
		return c.companyInfoEntity(), nil
	}
	e := c.get(k.name, id)
	if e == nil {
		return nil, errNotFound(k.name, id)
	}
	return e.render(), nil
}

func (c *company) remember(requestID string, res *response) {
	c.replaySeq++
	c.replays[requestID] = replay{status: res.status, body: res.body, seq: c.replaySeq}
	if len(c.replays) <= maxReplays {
		return
	}
	oldest, oldestSeq := "", -1
	for id, r := range c.replays {
		if oldestSeq < 0 || r.seq < oldestSeq {
			oldest, oldestSeq = id, r.seq
		}
	}
	delete(c.replays, oldest)
}

// faultResponse renders an error as a Fault body; anything that is not a
// Fault is a simulator bug and answers 500.
func (s *Server) faultResponse(err error) *response {
	var f *Fault
	if !errors.As(err, &f) {
		s.cfg.Logger.Error("qbo request failed", "err", err)
		f = errSystem(http.StatusInternalServerError)
	}
	now := s.cfg.Now()
	switch {
	case f.xml:
		return &response{status: f.Status, body: f.faultXML(now), contentType: "application/xml"}
	case f.gateway:
		return &response{status: f.Status, body: mustJSON(f.gatewayJSON(now))}
	}
	body := map[string]any{"Fault": f.faultJSON(), "time": responseTime(now)}
	return &response{status: f.Status, body: mustJSON(body)}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("qbosim: encode response: " + err.Error())
	}
	return b
}
