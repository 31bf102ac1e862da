package qbo

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// jsonFault is Intuit's JSON Fault. Field matching is case-insensitive,
// which covers the lower-case {"fault":{"error":[{"message":...}]}} that
// 401 responses carry.
type jsonFault struct {
	Error []struct {
		Message string    `json:"Message"`
		Detail  string    `json:"Detail"`
		Code    faultCode `json:"code"`
		Element string    `json:"element"`
	} `json:"Error"`
	Type string `json:"type"`
}

// faultCode accepts the code as a JSON string or number.
type faultCode string

func (c *faultCode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = faultCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*c = faultCode(n)
	return nil
}

func (f *jsonFault) faults() []Fault {
	out := make([]Fault, 0, len(f.Error))
	for _, e := range f.Error {
		out = append(out, Fault{Code: string(e.Code), Message: e.Message, Detail: e.Detail, Element: e.Element})
	}
	return out
}

// xmlResponse is an IntuitResponse carrying a Fault, which QBO sends for
// throttling even when JSON was asked for.
type xmlResponse struct {
	Fault *struct {
		Type  string `xml:"type,attr"`
		Error []struct {
			Code    string `xml:"code,attr"`
			Element string `xml:"element,attr"`
			Message string `xml:"Message"`
			Detail  string `xml:"Detail"`
		} `xml:"Error"`
	} `xml:"Fault"`
}

// faultError builds the *Error for a Fault.
func faultError(op string, status int, tid, faultType string, faults []Fault) *Error {
	e := &Error{Status: status, FaultType: faultType, IntuitTID: tid, Op: op, Faults: faults}
	if len(faults) > 0 {
		f := faults[0]
		e.Code, e.Message, e.Detail, e.Element = f.Code, f.Message, f.Detail, f.Element
	}
	if e.AuthFailed() {
		redactAuth(e)
	}
	return e
}

// redactAuth drops what follows the first colon of auth fault details:
// Intuit echoes part of the token there ("Token expired: AB01...").
func redactAuth(e *Error) {
	cut := func(s string) string {
		before, _, _ := strings.Cut(s, ":")
		return strings.TrimSpace(before)
	}
	e.Detail = cut(e.Detail)
	for i := range e.Faults {
		e.Faults[i].Detail = cut(e.Faults[i].Detail)
	}
}

// httpError reads a non-2xx response: a JSON or XML Fault when there is
// one, otherwise the status and the start of the body as text.
func httpError(op string, status int, tid string, body []byte) *Error {
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		var env struct {
			Fault *jsonFault `json:"Fault"`
		}
		if json.Unmarshal(trimmed, &env) == nil && env.Fault != nil && len(env.Fault.Error) > 0 {
			return faultError(op, status, tid, env.Fault.Type, env.Fault.faults())
		}
	}
	if bytes.HasPrefix(trimmed, []byte("<")) {
		var r xmlResponse
		if xml.Unmarshal(trimmed, &r) == nil && r.Fault != nil && len(r.Fault.Error) > 0 {
			faults := make([]Fault, 0, len(r.Fault.Error))
			for _, x := range r.Fault.Error {
				faults = append(faults, Fault{Code: x.Code, Message: strings.TrimSpace(x.Message),
					Detail: strings.TrimSpace(x.Detail), Element: x.Element})
			}
			return faultError(op, status, tid, r.Fault.Type, faults)
		}
	}
	e := &Error{Status: status, IntuitTID: tid, Op: op, Message: http.StatusText(status), Detail: excerpt(trimmed)}
	if e.AuthFailed() {
		redactAuth(e)
	}
	return e
}

// excerpt turns a body (often an HTML error page) into one short line.
func excerpt(body []byte) string {
	var b strings.Builder
	inTag := false
	for _, r := range string(body) {
		switch {
		case r == '<':
			inTag = true
			b.WriteRune(' ')
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
