package qbosim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds a request body.
const maxBody = 8 << 20

// apiRequest is one parsed Accounting API call.
type apiRequest struct {
	op        string // create, update, delete, void, read, query, batch, cdc
	kind      *kind
	id        string
	body      map[string]any
	bodyErr   error
	query     string
	params    url.Values
	requestID string
	opts      writeOptions
	fault     *Fault // the call cannot be served at all
}

func (req *apiRequest) entityName() string {
	if req.kind != nil {
		return req.kind.name
	}
	return ""
}

// replayable reports whether a requestid makes the call idempotent: the
// writes and batches QuickBooks deduplicates.
func (req *apiRequest) replayable() bool {
	switch req.op {
	case "create", "update", "delete", "void", "batch":
		return req.requestID != ""
	}
	return false
}

// response is a finished API answer.
type response struct {
	status      int
	body        []byte
	contentType string // empty: JSON
}

// serveAPI runs a call through the same gates as QuickBooks, in its order:
// authentication, the realm's rate and concurrency limits, then the work.
// Injected faults sit between the limits and the work; a requestid seen
// before returns the stored answer without doing the work again.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	w.Header().Set("intuit_tid", newTID())
	realm := r.PathValue("realm")
	res, req := s.handleAPI(r, realm)
	if res == nil {
		return // the connection was dropped on purpose
	}
	if res.contentType != "" {
		w.Header().Set("Content-Type", res.contentType)
	} else {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
	s.cfg.Logger.InfoContext(r.Context(), "qbo request", "realm_id", realm, "method", r.Method,
		"op", req.op, "entity", req.entityName(), "id", req.target(), "requestid", req.requestID,
		"lines", req.linked(), "status", res.status, "ms", time.Since(started).Milliseconds())
}

// target is the Id the call names: a read's path, a write's body.
func (req *apiRequest) target() string {
	if req.id != "" {
		return req.id
	}
	id, _ := req.body["Id"].(string)
	return id
}

// linked lists, for the log, what a write's lines link ("Invoice 65
// 12.38"), so a trace shows which write applied what.
func (req *apiRequest) linked() string {
	var parts []string
	for _, l := range list(req.body, "Line") {
		line, _ := l.(map[string]any)
		for _, lt := range list(line, "LinkedTxn") {
			ltm, _ := lt.(map[string]any)
			parts = append(parts, fmt.Sprintf("%v %v %v", ltm["TxnType"], ltm["TxnId"], line["Amount"]))
		}
	}
	return strings.Join(parts, ", ")
}

func (s *Server) handleAPI(r *http.Request, realm string) (*response, *apiRequest) {
	req := &apiRequest{}
	c, f := s.authorize(r, realm)
	if f != nil {
		return s.faultResponse(f), req
	}
	req = parseAPIRequest(r)
	if !c.gate.admit(s.limits, s.cfg.Now()) {
		return s.faultResponse(errThrottled(http.StatusTooManyRequests)), req
	}
	defer c.gate.release()
	s.cfg.Sleep(r.Context(), s.cfg.Latency)
	if req.fault != nil {
		return s.faultResponse(req.fault), req
	}
	c.gate.count(req.op, req.entityName())
	rule := c.gate.takeFault(req.op, req.entityName())
	if rule != nil {
		s.cfg.Sleep(r.Context(), time.Duration(rule.LatencyMS)*time.Millisecond)
		switch {
		case rule.throttles():
			return s.faultResponse(rule.throttleFault()), req
		case rule.Status != 0:
			return s.faultResponse(errSystem(rule.Status)), req
		case rule.Timeout && !rule.DropResponse:
			return s.hang(r), req
		}
	}
	res := s.execute(c, req)
	if rule != nil && rule.DropResponse {
		if rule.Timeout {
			return s.hang(r), req
		}
		// The write is committed; the client never hears about it.
		panic(http.ErrAbortHandler)
	}
	return res, req
}

// authorize checks the bearer token and that it belongs to the realm.
func (s *Server) authorize(r *http.Request, realm string) (*company, *Fault) {
	c := s.company(realm)
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(bearer) == "" {
		s.noteAuthFailure(c)
		return nil, errAuthentication("Authorization header is missing or is not a Bearer token")
	}
	tokenRealm, err := s.cfg.Auth.Authenticate(strings.TrimSpace(bearer))
	if err != nil {
		s.noteAuthFailure(c)
		if errors.Is(err, ErrTokenExpired) {
			return nil, errAuthentication("Token expired")
		}
		return nil, errAuthentication("Token invalid")
	}
	if c == nil || tokenRealm != realm {
		s.noteAuthFailure(c)
		return nil, errAuthorization()
	}
	return c, nil
}

func (s *Server) noteAuthFailure(c *company) {
	if c != nil {
		c.gate.note(func(st *stats) { st.AuthFailures++ })
	}
}

// hang holds a call the way a stuck QuickBooks request is held: until the
// client gives up, or until QuickBooks' own limit answers 504.
func (s *Server) hang(r *http.Request) *response {
	s.cfg.Sleep(r.Context(), s.cfg.HangTimeout)
	if r.Context().Err() != nil {
		panic(http.ErrAbortHandler)
	}
	return s.faultResponse(errGatewayTimeout())
}

// parseAPIRequest maps the URL and method to an operation.
func parseAPIRequest(r *http.Request) *apiRequest {
	q := r.URL.Query()
	req := &apiRequest{params: q, requestID: q.Get("requestid")}
	req.opts.allowDuplicateDocNumber = hasOption(q.Get("include"), "allowduplicatedocnum")
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		req.fault = errMalformed("the request body could not be read")
		return req
	}
	segs := strings.Split(strings.Trim(r.PathValue("rest"), "/"), "/")
	unsupported := errUnsupportedOperation(fmt.Sprintf("%s %s is not a supported operation.", r.Method, r.URL.Path))
	switch first := strings.ToLower(segs[0]); {
	case first == "query" && len(segs) == 1 && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		req.op, req.query = "query", q.Get("query")
		if r.Method == http.MethodPost && len(strings.TrimSpace(string(raw))) > 0 {
			req.query = string(raw)
		}
		if k, _ := queryEntity(req.query); k != nil {
			req.kind = k
		}
	case first == "batch" && len(segs) == 1 && r.Method == http.MethodPost:
		req.op = "batch"
		req.body, req.bodyErr = decodeObject(raw)
	case first == "cdc" && len(segs) == 1 && r.Method == http.MethodGet:
		req.op = "cdc"
	case first == "preferences" && len(segs) == 1 && r.Method == http.MethodGet:
		req.op, req.kind = "read", kindByName("Preferences")
	case len(segs) == 2 && r.Method == http.MethodGet && kindByName(first) != nil:
		req.op, req.kind, req.id = "read", kindByName(first), segs[1]
	case len(segs) == 1 && r.Method == http.MethodPost && kindByName(first) != nil:
		req.kind = kindByName(first)
		req.body, req.bodyErr = decodeObject(raw)
		req.op = writeOp(q, req.body)
	default:
		req.fault = unsupported
	}
	return req
}

// writeOp names the write a POST to an entity performs.
func writeOp(q url.Values, body map[string]any) string {
	switch strings.ToLower(q.Get("operation")) {
	case "delete":
		return "delete"
	case "void":
		return "void"
	case "update":
		if hasOption(q.Get("include"), "void") {
			return "void"
		}
		return "update"
	}
	if body != nil && idText(body["Id"]) != "" {
		return "update"
	}
	return "create"
}

func hasOption(list, opt string) bool {
	for _, o := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(o), opt) {
			return true
		}
	}
	return false
}

// queryEntity reads the FROM entity of a statement without running it.
func queryEntity(src string) (*kind, error) {
	q, err := parseQuery(src)
	if err != nil {
		return nil, err
	}
	return kindByName(q.entity), nil
}

func newTID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return "1-" + h[:8] + "-" + h[8:]
}
