package qbo

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/qbosync/qbosync/internal/money"
)

var update = flag.Bool("update", false, "rewrite the golden request bodies in testdata/golden")

const (
	testRealm = "9130355377383136"
	testToken = "test-access-token"
)

// usd formats cents as the exact decimal QBO receives.
func usd(cents int64) json.Number {
	s, err := money.Format(cents, "USD")
	if err != nil {
		panic(err) // USD is always known
	}
	return json.Number(s)
}

// exchange is one request the fake QBO received.
type exchange struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// reply is one canned answer.
type reply struct {
	status int
	body   []byte
	header map[string]string
}

// fakeQBO answers requests with its replies in order (the last repeats)
// and records what it received.
type fakeQBO struct {
	mu      sync.Mutex
	got     []exchange
	replies []reply
}

func (f *fakeQBO) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.got)
	f.got = append(f.got, exchange{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	rep := f.replies[min(n, len(f.replies)-1)]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

func (f *fakeQBO) requests() []exchange {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]exchange(nil), f.got...)
}

// newFake starts a fake QBO and a Client that reaches it through an
// OAuth 2.0 transport, as production does.
func newFake(t *testing.T, replies ...reply) (*fakeQBO, *Client) {
	t.Helper()
	f := &fakeQBO{replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken}))
	return f, New(hc, srv.URL+"/")
}

func ok(body []byte) reply { return reply{status: http.StatusOK, body: body} }

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares a JSON request body with testdata/golden/name.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, body)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("request body differs from %s:\n got: %s\nwant: %s", path, buf.Bytes(), want)
	}
}
