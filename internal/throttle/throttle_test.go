package throttle

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeRealms records the budget spent and the back-offs set.
type fakeRealms struct {
	budget    int
	taken     int
	throttled time.Time
}

func (f *fakeRealms) TakeRequest(_ context.Context, _ string, _ int) (bool, time.Time, error) {
	if f.taken >= f.budget {
		return false, time.Unix(1_800_000_060, 0), nil
	}
	f.taken++
	return true, time.Time{}, nil
}

func (f *fakeRealms) ThrottleRealm(_ context.Context, _ string, until time.Time) error {
	f.throttled = until
	return nil
}

type status int

func (s status) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: int(s), Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

func TestTransportSpendsBudgetAndRecordsThrottling(t *testing.T) {
	now := time.Unix(1_800_000_000, 0) // 60 s before the next minute
	realms := &fakeRealms{budget: 2}
	rt := &Transport{Base: status(http.StatusTooManyRequests), Realms: realms, Limit: 2,
		Backoff: time.Minute, Now: func() time.Time { return now }}
	req, _ := http.NewRequest(http.MethodGet, "http://qbo.invalid/v3/company/r1/query", nil)

	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if realms.taken != 1 {
		t.Errorf("budget spent = %d, want 1 per request", realms.taken)
	}
	if want := now.Add(time.Minute); !realms.throttled.Equal(want) {
		t.Errorf("after a 429 the realm rests until %v, want %v (Intuit: wait 60 s)", realms.throttled, want)
	}

	realms.taken = 2 // this minute's budget is spent
	_, err = rt.RoundTrip(req)
	var te *Error
	if !errors.As(err, &te) || te.Realm != "r1" {
		t.Fatalf("err = %v, want an *Error: the request must not go out over budget", err)
	}

	token, _ := http.NewRequest(http.MethodPost, "http://qbo.invalid/oauth2/v1/tokens/bearer", nil)
	if _, err := rt.RoundTrip(token); err != nil {
		t.Errorf("a token request is not an Accounting API call and spends no budget: %v", err)
	}
}

func TestRealmOf(t *testing.T) {
	for path, want := range map[string]string{
		"/v3/company/9130357/invoice": "9130357",
		"/sim/v3/company/42/query":    "42",
		"/v3/company/42":              "42",
		"/oauth2/v1/tokens/bearer":    "",
		"/_sim/companies/42/ledger":   "",
	} {
		if got := RealmOf(path); got != want {
			t.Errorf("RealmOf(%q) = %q, want %q", path, got, want)
		}
	}
}
