package qbo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrInvalidRequest reports a call the client refuses before sending,
	// such as an update without Id and SyncToken.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrMalformedResponse reports a successful response the client could
	// not read. Retrying with the same requestid returns the same answer.
	ErrMalformedResponse = errors.New("malformed response")
)

// Error is a failed QBO call: a Fault from QBO (Code, Message, ... set),
// an HTTP error without a Fault, or a transport failure (Err set, Status 0).
type Error struct {
	Status    int    // HTTP status; 200 for a Fault in a successful response; 0 if none arrived
	FaultType string // ValidationFault, SERVICE, AUTHENTICATION, ...
	Code      string // Intuit's error code of the first error, e.g. "6240"
	Message   string
	Detail    string
	Element   string
	IntuitTID string  // intuit_tid response header: quote it to Intuit support
	Op        string  // "create Invoice"
	Faults    []Fault // every error of the Fault; the first is copied above
	Err       error
}

// Fault is one error of Intuit's Fault.
type Fault struct {
	Code    string
	Message string
	Detail  string
	Element string
}

func (e *Error) Error() string {
	var parts []string
	switch {
	case e.Status != 0 && e.Code != "":
		parts = append(parts, strconv.Itoa(e.Status)+" code "+e.Code)
	case e.Status != 0:
		parts = append(parts, strconv.Itoa(e.Status))
	case e.Code != "":
		parts = append(parts, "code "+e.Code)
	}
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	if e.Detail != "" && e.Detail != e.Message {
		parts = append(parts, e.Detail)
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	s := "qbo: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	s += strings.Join(parts, ": ")
	if e.IntuitTID != "" {
		s += " (intuit_tid " + e.IntuitTID + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// invalid is a call refused before it was sent.
func invalid(op, format string, args ...any) *Error {
	return &Error{Op: op, Message: fmt.Sprintf(format, args...), Err: ErrInvalidRequest}
}

// malformed is a successful response that could not be read.
func malformed(op string, status int, tid, format string, args ...any) *Error {
	return &Error{Status: status, IntuitTID: tid, Op: op, Message: fmt.Sprintf(format, args...), Err: ErrMalformedResponse}
}

// Class is what kind of failure an error is, as QuickBooks reported it;
// what to do about it is the caller's decision (the sync engine's
// classify).
type Class int

// Classes of failure.
const (
	ClassOther       Class = iota // not built, canceled, or the answer unreadable
	ClassThrottled                // 429 or ThrottleExceeded
	ClassAuth                     // the access token was refused
	ClassStale                    // a SyncToken conflict
	ClassValidation               // refused by QuickBooks' rules; unchanged, never accepted
	ClassUnavailable              // 5xx, timeouts, no answer: the request may or may not have run
)

// Class returns the error's class.
func (e *Error) Class() Class { return e.class() }

func (e *Error) class() Class {
	if e.Err != nil && len(e.Faults) == 0 && e.Code == "" {
		if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, ErrMalformedResponse) ||
			errors.Is(e.Err, ErrInvalidRequest) {
			return ClassOther
		}
		return ClassUnavailable // the request may or may not have reached QBO
	}
	switch {
	case e.Status == 429 || e.any(func(f Fault) bool {
		return codeNum(f.Code) == 3001 || contains(f, "ThrottleExceeded")
	}):
		return ClassThrottled
	case e.Status == 401 || e.anyCode(3200):
		return ClassAuth
	case e.any(isStale):
		return ClassStale
	case e.any(isValidation) || e.Status < 500 && strings.EqualFold(e.FaultType, "ValidationFault"):
		return ClassValidation
	case e.Status >= 500 || e.Status == 408:
		return ClassUnavailable
	}
	return ClassOther
}

// isStale is a SyncToken conflict. QBO also reports other conditions,
// such as a closed period, under 5010, so the words decide.
func isStale(f Fault) bool { return codeNum(f.Code) == 5010 && contains(f, "stale") }

// isValidation is a business or request fault a retry cannot fix:
// 2xxx request validation, 4xxx query errors, 6xxx business rules, 610
// missing or inactive references, and 5010 that is not a stale object.
func isValidation(f Fault) bool {
	n := codeNum(f.Code)
	return n == 610 || n == 5010 || n >= 2000 && n < 3000 || n >= 4000 && n < 5000 || n >= 6000 && n < 7000
}

// Throttled reports QBO's rate limit: HTTP 429 or ThrottleExceeded (3001),
// which QBO also sends with 403 and as XML. Back off at least a minute.
func (e *Error) Throttled() bool { return e.class() == ClassThrottled }

// AuthFailed reports a rejected access token (401, 3200): refresh it once
// and retry.
func (e *Error) AuthFailed() bool { return e.class() == ClassAuth }

// Stale reports a SyncToken conflict (5010 Stale Object Error): re-read the
// entity, re-apply the change and retry.
func (e *Error) Stale() bool { return e.class() == ClassStale }

// Temporary reports a failure that the same request (same requestid) may
// not meet again: throttling, 5xx, timeouts and network errors.
func (e *Error) Temporary() bool {
	c := e.class()
	return c == ClassThrottled || c == ClassUnavailable
}

// Validation reports a fault in the request or against QBO's business
// rules (2xxx, 4xxx, 6xxx, 610). Never retry it unchanged.
func (e *Error) Validation() bool { return e.class() == ClassValidation }

// DuplicateName reports 6240: the name is used by another customer,
// vendor or employee, possibly an inactive one.
func (e *Error) DuplicateName() bool { return e.anyCode(6240) }

// DuplicateDocNumber reports 6140: the DocNumber is already used.
func (e *Error) DuplicateDocNumber() bool {
	return e.any(func(f Fault) bool {
		return codeNum(f.Code) == 6140 || contains(f, "Duplicate Document Number")
	})
}

// PeriodClosed reports a date inside the company's closed books (6210,
// also seen as 5010 "Account Period Closed").
func (e *Error) PeriodClosed() bool {
	return e.any(func(f Fault) bool {
		return codeNum(f.Code) == 6210 || contains(f, "Account Period Closed") ||
			contains(f, "account period has closed")
	})
}

// ObjectNotFound reports 610: the object read, or one the request refers
// to, does not exist or has been made inactive.
func (e *Error) ObjectNotFound() bool { return e.anyCode(610) }

func (e *Error) anyCode(n int) bool {
	return e.any(func(f Fault) bool { return codeNum(f.Code) == n })
}

func (e *Error) any(match func(Fault) bool) bool {
	if len(e.Faults) == 0 {
		return match(Fault{Code: e.Code, Message: e.Message, Detail: e.Detail, Element: e.Element})
	}
	for _, f := range e.Faults {
		if match(f) {
			return true
		}
	}
	return false
}

// codeNum reads "3001" and "003001" alike; 0 when there is no number.
func codeNum(code string) int {
	n, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		return 0
	}
	return n
}

func contains(f Fault, word string) bool {
	w := strings.ToLower(word)
	return strings.Contains(strings.ToLower(f.Message), w) || strings.Contains(strings.ToLower(f.Detail), w)
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsTemporary reports whether err is a *Error that is Temporary.
func IsTemporary(err error) bool { e := asError(err); return e != nil && e.Temporary() }

// IsThrottled reports whether err is a *Error that is Throttled.
func IsThrottled(err error) bool { e := asError(err); return e != nil && e.Throttled() }

// IsAuthFailed reports whether err is a *Error that is AuthFailed.
func IsAuthFailed(err error) bool { e := asError(err); return e != nil && e.AuthFailed() }

// IsStale reports whether err is a *Error that is Stale.
func IsStale(err error) bool { e := asError(err); return e != nil && e.Stale() }

// IsValidation reports whether err is a *Error that is a Validation fault.
func IsValidation(err error) bool { e := asError(err); return e != nil && e.Validation() }
