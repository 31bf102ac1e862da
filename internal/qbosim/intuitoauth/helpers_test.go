package intuitoauth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const (
	testClientID     = "qbosim-client"
	testClientSecret = "qbosim-secret"
	testRedirect     = "https://app.example.com/callback?tenant=t1"
)

// clock is a settable time source for lifetimes.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// companies makes a new realm per empty request and knows the ones it made.
type companies struct {
	mu    sync.Mutex
	known map[string]bool
	next  int
}

func (c *companies) ResolveRealm(requested string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if requested != "" {
		if !c.known[requested] {
			return "", fmt.Errorf("realm %s not found", requested)
		}
		return requested, nil
	}
	c.next++
	id := fmt.Sprintf("93414500000%05d", c.next)
	c.known[id] = true
	return id, nil
}

type harness struct {
	srv   *Server
	ts    *httptest.Server
	clock *clock
	realm *companies
	conf  *oauth2.Config
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	realms := &companies{known: map[string]bool{}}
	srv := New(Config{ClientID: testClientID, ClientSecret: testClientSecret, Now: clk.Now}, realms)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	conf := &oauth2.Config{
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RedirectURL:  testRedirect,
		Scopes:       []string{accountingScope},
		Endpoint: oauth2.Endpoint{
			AuthURL:   ts.URL + "/connect/oauth2",
			TokenURL:  ts.URL + "/oauth2/v1/tokens/bearer",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
	return &harness{srv: srv, ts: ts, clock: clk, realm: realms, conf: conf}
}

// get requests u without following redirects.
func (h *harness) get(t *testing.T, u string) *http.Response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// consent walks the consent page and returns the callback's query.
func (h *harness) consent(t *testing.T, state string, opts ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	resp := h.get(t, h.conf.AuthCodeURL(state, opts...))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent status = %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; !strings.HasPrefix(testRedirect, got) {
		t.Fatalf("redirected to %s, want %s", got, testRedirect)
	}
	return loc.Query()
}

// connect runs consent and code exchange.
func (h *harness) connect(t *testing.T) (realm string, tok *oauth2.Token) {
	t.Helper()
	cb := h.consent(t, "st")
	tok, err := h.conf.Exchange(context.Background(), cb.Get("code"))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return cb.Get("realmId"), tok
}

// refresh presents refreshToken at the token endpoint as an expired client
// token would.
func (h *harness) refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	old := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	return h.conf.TokenSource(ctx, old).Token()
}

// postForm sends a form to path with Basic client auth unless id is empty.
func (h *harness) postForm(t *testing.T, path, id, secret string, form url.Values, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
