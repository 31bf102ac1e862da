package qbo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbosim/qbosimtest"
	"github.com/qbosync/qbosync/internal/qbosim/standalone"
)

// The client against the simulator over HTTP, for the answers QuickBooks
// sends in more than one shape (docs/qbosim.md, rules 2 and 3).

func simClient(t *testing.T) (*qbo.Client, qbosimtest.Company, string) {
	t.Helper()
	url, _ := qbosimtest.NewServer(t)
	co := qbosimtest.NewCompany(t, url, "US", "")
	return qbo.New(qbo.WithToken(nil, co.AccessToken), url), co, url
}

func simControl(t *testing.T, url, realm, path string, body any) {
	t.Helper()
	data, _ := json.Marshal(body)
	res, err := http.Post(url+"/_sim/companies/"+realm+"/"+path, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("%s %v: status %d", path, body, res.StatusCode)
	}
}

// An expired token answers 401 in the gateway's lower-case Envelope; the
// client reads its code and detail and reports AuthFailed, not a
// validation fault.
func TestSimExpiredTokenIsAuthFailed(t *testing.T) {
	c, co, url := simClient(t)
	simControl(t, url, co.RealmID, "expire-tokens", nil)
	_, err := c.Preferences(context.Background(), co.RealmID)
	var e *qbo.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *qbo.Error", err)
	}
	if !e.AuthFailed() || e.Temporary() || e.Validation() || e.Throttled() {
		t.Errorf("classes: auth %v temporary %v validation %v throttled %v; want auth only",
			e.AuthFailed(), e.Temporary(), e.Validation(), e.Throttled())
	}
	if e.Status != 401 || e.Code != "3200" || e.FaultType != "AUTHENTICATION" || e.Detail != "Token expired" {
		t.Errorf("error = %+v, want 401 3200 AUTHENTICATION Token expired", e)
	}
}

// ThrottleExceeded is Throttled and Temporary however it arrives: JSON or
// XML, with 429 or another status.
func TestSimThrottleExceededInEveryShape(t *testing.T) {
	c, co, url := simClient(t)
	for _, rule := range []map[string]any{
		{"status": 429},
		{"throttle": true, "status": 403},
		{"throttle": true, "format": "xml"},
		{"throttle": true, "status": 403, "format": "xml"},
		{"throttle": true, "status": 500, "format": "xml"},
		{"throttle": true, "status": 400},
	} {
		simControl(t, url, co.RealmID, "faults", rule)
		_, err := qbo.Create(context.Background(), c, co.RealmID, qbo.Customer{DisplayName: "Throttled"}, "")
		var e *qbo.Error
		if !errors.As(err, &e) {
			t.Fatalf("%v: err = %v, want *qbo.Error", rule, err)
		}
		if !e.Throttled() || !e.Temporary() || e.Validation() || e.Code != "3001" {
			t.Errorf("%v: %v: throttled %v temporary %v validation %v; want throttled and temporary",
				rule, e, e.Throttled(), e.Temporary(), e.Validation())
		}
	}
}

// QuickBooks writes MetaData times in Pacific time; the client reads them
// as the instant they name, whatever the offset.
func TestSimMetaDataTimesAreInstants(t *testing.T) {
	at := time.Date(2026, 7, 1, 3, 30, 0, 0, time.UTC) // 2026-06-30 20:30 PDT
	url, _ := qbosimtest.NewServerWith(t, standalone.Options{Now: qbosimtest.NewClock(at).Now})
	co := qbosimtest.NewCompany(t, url, "US", "")
	c := qbo.New(qbo.WithToken(nil, co.AccessToken), url)
	got, err := qbo.Create(context.Background(), c, co.RealmID, qbo.Customer{DisplayName: "Pacific"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.MetaData == nil || !got.MetaData.CreateTime.Equal(at) || !got.MetaData.LastUpdatedTime.Equal(at) {
		t.Fatalf("MetaData = %+v, want %v", got.MetaData, at)
	}
	if _, off := got.MetaData.CreateTime.Zone(); off != -7*3600 {
		t.Errorf("CreateTime offset %d s, want Pacific daylight time", off)
	}
}
