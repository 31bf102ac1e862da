package qbo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// class is the classification a caller sees.
type classes struct {
	throttled, auth, stale, temporary, validation      bool
	duplicateName, duplicateDoc, periodClosed, missing bool
}

func classify(e *Error) classes {
	return classes{e.Throttled(), e.AuthFailed(), e.Stale(), e.Temporary(), e.Validation(),
		e.DuplicateName(), e.DuplicateDocNumber(), e.PeriodClosed(), e.ObjectNotFound()}
}

func TestFaultResponses(t *testing.T) {
	tests := []struct {
		fixture     string
		status      int
		contentType string
		want        Error
		class       classes
	}{
		{"duplicate_name_6240.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "6240",
			Message: "Duplicate Name Exists Error",
			Detail:  "The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name."},
			classes{validation: true, duplicateName: true}},
		{"throttle_429.xml", 429, "application/xml", Error{Status: 429, FaultType: "SERVICE", Code: "3001",
			Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429", Detail: "The request limit was reached.  Try again later"},
			classes{throttled: true, temporary: true}},
		{"throttle_403.xml", 403, "application/xml", Error{Status: 403, FaultType: "SERVICE", Code: "3001",
			Message: "message=ThrottleExceeded; errorCode=003001; statusCode=403", Detail: "The request limit was reached.  Try again later"},
			classes{throttled: true, temporary: true}},
		{"auth_401.json", 401, "application/json", Error{Status: 401, FaultType: "AUTHENTICATION", Code: "3200",
			Message: "message=AuthenticationFailed; errorCode=003200; statusCode=401", Detail: "Token expired"},
			classes{auth: true}},
		{"internal_500.json", 500, "application/json", Error{Status: 500, FaultType: "SERVICE", Code: "3100",
			Message: "message=InternalServerError; errorCode=003100; statusCode=500"},
			classes{temporary: true}},
		{"gateway_502.html", 502, "text/html", Error{Status: 502, Message: "Bad Gateway", Detail: "502 Bad Gateway 502 Bad Gateway ipp-gateway"},
			classes{temporary: true}},
		{"stale_5010.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "5010",
			Message: "Stale Object Error",
			Detail:  "Stale Object Error : You and API API were working on this at the same time. API API finished before you did, so your work was not saved."},
			classes{stale: true}},
		{"period_closed_5010.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "5010",
			Message: "Account Period Closed", Detail: "The account period has closed. {1}"},
			classes{validation: true, periodClosed: true}},
		{"period_closed_6210.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "6210",
			Message: "Account Period Closed, Cannot Update Through Services API",
			Detail:  "The account period has closed and the account books cannot be updated through through the QBO Services API. Please use the QBO website to make these changes."},
			classes{validation: true, periodClosed: true}},
		{"duplicate_doc_6140.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "6140",
			Message: "Duplicate Document Number Error",
			Detail:  "Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=1037 is assigned to TxnType=Invoice with TxnId=130"},
			classes{validation: true, duplicateDoc: true}},
		{"not_found_610.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "610",
			Message: "Object Not Found",
			Detail:  "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees."},
			classes{validation: true, missing: true}},
		{"invalid_property_2010.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "2010",
			Message: "Request has invalid or unsupported property", Element: "Line.DetailType",
			Detail: "Property Name:Can not construct instance of com.intuit.schema.finance.v3.LineDetailTypeEnum from String value 'SalesLine': value not one of declared Enum instance names specified"},
			classes{validation: true}},
		{"business_6000.json", 400, "application/json", Error{Status: 400, FaultType: "ValidationFault", Code: "6000",
			Message: "A business validation error has occurred while processing your request",
			Detail:  "Business Validation Error: QuickBooks encountered an error while calculating tax. Try reselecting the tax rate or reentering the product/service item and saving the form again."},
			classes{validation: true}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			_, c := newFake(t, reply{status: tt.status, body: fixture(t, "faults/"+tt.fixture),
				header: map[string]string{"Content-Type": tt.contentType, "intuit_tid": "1-abc-" + tt.fixture}})
			_, err := Create(context.Background(), c, testRealm, sampleInvoice(), "rid")
			e := asError(err)
			if e == nil {
				t.Fatalf("err = %v, want *Error", err)
			}
			want := tt.want
			want.Op, want.IntuitTID = "create Invoice", "1-abc-"+tt.fixture
			if diff := cmp.Diff(&want, e, cmpopts.IgnoreFields(Error{}, "Faults")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if want.Code != "" && (len(e.Faults) == 0 || e.Faults[0].Code != want.Code) {
				t.Errorf("Faults %#v do not start with the first error", e.Faults)
			}
			if c := classify(e); c != tt.class {
				t.Errorf("classes %+v, want %+v", c, tt.class)
			}
			if !strings.Contains(e.Error(), "create Invoice") || !strings.Contains(e.Error(), want.IntuitTID) {
				t.Errorf("Error() = %q lacks the operation or intuit_tid", e.Error())
			}
			if IsTemporary(err) != tt.class.temporary || IsThrottled(err) != tt.class.throttled ||
				IsAuthFailed(err) != tt.class.auth || IsStale(err) != tt.class.stale || IsValidation(err) != tt.class.validation {
				t.Errorf("Is* helpers disagree with the methods")
			}
		})
	}
}

func TestAuthFaultHidesToken(t *testing.T) {
	_, c := newFake(t, reply{status: 401, body: fixture(t, "faults/auth_401.json")})
	_, err := Read[Invoice](context.Background(), c, testRealm, "130")
	if err == nil || strings.Contains(err.Error(), "AB0173") {
		t.Errorf("error text %q shows the token", err)
	}
	if e := asError(err); e == nil || strings.Contains(e.Faults[0].Detail, "AB0173") {
		t.Errorf("fault keeps the token: %#v", e)
	}
}

func TestAllFaultsKept(t *testing.T) {
	_, c := newFake(t, reply{status: 400, body: fixture(t, "faults/business_6000.json")})
	_, err := Create(context.Background(), c, testRealm, sampleInvoice(), "rid")
	e := asError(err)
	if e == nil || len(e.Faults) != 2 || !strings.Contains(e.Faults[1].Detail, "GST/HST") {
		t.Errorf("faults %#v", e)
	}
}

func TestFaultInSuccessfulResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want classes
	}{
		{"json fault", `{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"Stale Object Error : You and A were working on this at the same time.","code":"5010"}],"type":"ValidationFault"},"time":"2026-11-21T10:00:00Z"}`,
			classes{stale: true}},
		{"xml throttle", string(fixture(t, "faults/throttle_403.xml")), classes{throttled: true, temporary: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, ok([]byte(tt.body)))
			_, err := Update(context.Background(), c, testRealm, Customer{ID: "1", SyncToken: "0", DisplayName: "x"}, "rid")
			e := asError(err)
			if e == nil || e.Status != http.StatusOK {
				t.Fatalf("err = %v, want a *Error with status 200", err)
			}
			if got := classify(e); got != tt.want {
				t.Errorf("classes %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMalformedSuccess(t *testing.T) {
	for _, body := range []string{`not json`, `{"Customer":`, `{"Invoice":{"Id":"1"}}`, `{"Customer":{"Id":7}}`} {
		_, c := newFake(t, ok([]byte(body)))
		_, err := Create(context.Background(), c, testRealm, Customer{DisplayName: "x"}, "rid")
		if !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("body %s: err = %v, want ErrMalformedResponse", body, err)
		}
		if IsTemporary(err) || IsValidation(err) {
			t.Errorf("body %s: malformed response classified as retryable or validation", body)
		}
	}
}

func TestTransportFailuresAreTemporary(t *testing.T) {
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer hangup.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer slow.Close()
	defer close(release) // before Close, which waits for the handler
	truncated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(`{"Customer":{"Id":"1"`))
	}))
	defer truncated.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name string
		c    *Client
	}{
		{"connection closed without answer", New(&http.Client{}, hangup.URL)},
		{"client timeout", New(&http.Client{Timeout: 50 * time.Millisecond}, slow.URL)},
		{"body cut short", New(&http.Client{}, truncated.URL)},
		{"connection refused", New(&http.Client{}, closed.URL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Create(context.Background(), tt.c, testRealm, Customer{DisplayName: "x"}, "rid")
			if !IsTemporary(err) {
				t.Errorf("err = %v, want temporary", err)
			}
			var ne net.Error
			if tt.name == "client timeout" && (!errors.As(err, &ne) || !ne.Timeout()) {
				t.Errorf("timeout not visible through Unwrap: %v", err)
			}
		})
	}
}

func TestCanceledIsNotTemporary(t *testing.T) {
	_, c := newFake(t, ok([]byte(`{}`)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Create(ctx, c, testRealm, Customer{DisplayName: "x"}, "rid")
	if !errors.Is(err, context.Canceled) || IsTemporary(err) {
		t.Errorf("err = %v (temporary %v), want canceled and not temporary", err, IsTemporary(err))
	}
}

func TestClassification(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want classes
	}{
		{"429 without body", &Error{Status: 429}, classes{throttled: true, temporary: true}},
		{"throttle text only", &Error{Status: 400, Message: "ThrottleExceeded"}, classes{throttled: true, temporary: true}},
		{"throttle code with zeros", &Error{Status: 403, Code: "003001"}, classes{throttled: true, temporary: true}},
		{"401 without body", &Error{Status: 401}, classes{auth: true}},
		{"3200 in a 200", &Error{Status: 200, Code: "3200"}, classes{auth: true}},
		{"503", &Error{Status: 503, Message: "Service Unavailable"}, classes{temporary: true}},
		{"504", &Error{Status: 504}, classes{temporary: true}},
		{"408", &Error{Status: 408}, classes{temporary: true}},
		{"5010 stale", &Error{Status: 400, Code: "5010", Message: "Stale Object Error"}, classes{stale: true}},
		{"5010 other", &Error{Status: 400, Code: "5010", Message: "Something else"}, classes{validation: true}},
		{"6240", &Error{Status: 400, Code: "6240"}, classes{validation: true, duplicateName: true}},
		{"duplicate doc by message", &Error{Status: 400, Code: "6000", Detail: "Duplicate Document Number Error : x"},
			classes{validation: true, duplicateDoc: true}},
		{"610", &Error{Status: 400, Code: "610"}, classes{validation: true, missing: true}},
		{"2500 invalid reference", &Error{Status: 400, Code: "2500"}, classes{validation: true}},
		{"4001 not queryable", &Error{Status: 400, Code: "4001"}, classes{validation: true}},
		{"validation fault without code", &Error{Status: 400, FaultType: "ValidationFault"}, classes{validation: true}},
		{"3100 not authorized for realm", &Error{Status: 403, Code: "3100"}, classes{}},
		{"second fault decides", &Error{Status: 400, Code: "6000", Faults: []Fault{{Code: "6000"}, {Code: "6240"}}},
			classes{validation: true, duplicateName: true}},
		{"transport", &Error{Err: errors.New("connection reset by peer")}, classes{temporary: true}},
		{"deadline", &Error{Err: context.DeadlineExceeded}, classes{temporary: true}},
		{"canceled", &Error{Err: context.Canceled}, classes{}},
		{"malformed", &Error{Status: 200, Err: ErrMalformedResponse}, classes{}},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("%s: classes %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Status: 400, Code: "6240", Message: "Duplicate Name Exists Error", Detail: "The name supplied already exists.",
			Op: "create Customer", IntuitTID: "1-2-3"},
			"qbo: create Customer: 400 code 6240: Duplicate Name Exists Error: The name supplied already exists. (intuit_tid 1-2-3)"},
		{&Error{Op: "read Invoice", Err: errors.New("dial tcp: connection refused")},
			"qbo: read Invoice: dial tcp: connection refused"},
		{&Error{Status: 502, Message: "Bad Gateway", Op: "batch"}, "qbo: batch: 502: Bad Gateway"},
		{invalid("update Invoice", "Id and SyncToken are required"),
			"qbo: update Invoice: Id and SyncToken are required: invalid request"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
	wrapped := errors.Join(errors.New("sync invoice"), &Error{Status: 429})
	if !IsThrottled(wrapped) || IsThrottled(errors.New("other")) {
		t.Error("Is* helpers do not see through wrapping")
	}
}
