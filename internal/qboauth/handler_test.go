package qboauth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/auth"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// fakeStore fails the test if a refused request reaches it.
type fakeStore struct{ t *testing.T }

func (f fakeStore) touched(what string) { f.t.Errorf("a refused request reached the store (%s)", what) }

func (f fakeStore) Connection(context.Context, string) (store.Connection, error) {
	f.touched("Connection")
	return store.Connection{}, store.ErrNotFound
}
func (f fakeStore) SaveConnection(_ context.Context, c store.Connection) (store.Connection, error) {
	f.touched("SaveConnection")
	return c, nil
}
func (f fakeStore) AcquireRefreshLease(context.Context, string, string, time.Duration) (bool, error) {
	f.touched("AcquireRefreshLease")
	return false, nil
}
func (f fakeStore) ReleaseRefreshLease(context.Context, string, string) error { return nil }
func (f fakeStore) ForgetLinks(context.Context, string) (int, error) {
	f.touched("ForgetLinks")
	return 0, nil
}
func (f fakeStore) EntitiesByStatus(context.Context, string, store.Status, billing.Kind) ([]store.EntityState, error) {
	return nil, nil
}
func (f fakeStore) ConsumeState(context.Context, string, string, time.Time) error {
	f.touched("ConsumeState")
	return nil
}
func (f fakeStore) ClaimRealm(context.Context, string, string) error {
	f.touched("ClaimRealm")
	return nil
}
func (f fakeStore) ReleaseRealm(context.Context, string, string) error {
	f.touched("ReleaseRealm")
	return nil
}
func (f fakeStore) Tenant(_ context.Context, id string) (store.Tenant, error) {
	return store.Tenant{ID: id}, nil
}
func (f fakeStore) ConnectionStatus(context.Context, string) (store.Connection, error) {
	f.touched("ConnectionStatus")
	return store.Connection{}, store.ErrNotFound
}
func (f fakeStore) Readiness(context.Context, string) (store.Readiness, error) {
	return store.Readiness{}, store.ErrNotFound
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTestHandler(t *testing.T) (*Handler, *auth.Local) {
	issuer := auth.NewLocal(testKey)
	c := New(Config{ClientID: "id", ClientSecret: "secret", AuthURL: "https://intuit.example/auth",
		TokenURL: "https://intuit.example/token", StateKey: []byte("state-key")}, fakeStore{t}, nil)
	return NewHandler(HandlerDeps{Connector: c, Store: fakeStore{t}, Verifier: issuer}), issuer
}

func request(method, path, query, body, token string) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{RawPath: path, RawQueryString: query, Body: body,
		Headers: map[string]string{"content-type": "application/json"}, QueryStringParameters: map[string]string{}}
	req.RequestContext.HTTP.Method = method
	for _, kv := range strings.Split(query, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			req.QueryStringParameters[k] = v
		}
	}
	if token != "" {
		req.Headers["authorization"] = "Bearer " + token
	}
	return req
}

func TestRoutesRefuseBadInput(t *testing.T) {
	h, issuer := newTestHandler(t)
	acme, _ := issuer.Issue(auth.Claims{Tenant: "acme", Role: auth.RoleAdmin, Expires: time.Now().Add(time.Hour)})
	op, _ := issuer.Issue(auth.Claims{Role: auth.RoleOperator, Expires: time.Now().Add(time.Hour)})
	state, _ := signState([]byte("state-key"), "acme", actConnect, time.Now())
	tests := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
		want int
	}{
		{"connect without token", request("POST", "/qbo/connect", "", `{"tenant":"acme"}`, ""), 401},
		{"connect another tenant", request("POST", "/qbo/connect", "", `{"tenant":"beta"}`, acme), 403},
		{"connect as operator", request("POST", "/qbo/connect", "", `{"tenant":"acme"}`, op), 403},
		{"connect with a bad tenant id", request("POST", "/qbo/connect", "", `{"tenant":"acme/../beta"}`, acme), 400},
		{"connect with an unknown field", request("POST", "/qbo/connect", "", `{"tenant":"acme","realm":"1"}`, acme), 400},
		{"connect with a huge body", request("POST", "/qbo/connect", "", `{"tenant":"`+strings.Repeat("a", maxBody)+`"}`, acme), 413},
		{"connect by GET", request("GET", "/qbo/connect", "tenant=acme", "", acme), 404},
		{"status of another tenant", request("GET", "/qbo/connection", "tenant=beta", "", acme), 403},
		{"status with a huge query", request("GET", "/qbo/connection", "tenant=acme&x="+strings.Repeat("a", maxQuery), "", acme), 414},
		{"disconnect another tenant", request("POST", "/qbo/disconnect", "", `{"tenant":"beta"}`, acme), 403},
		{"confirmation without forget_links", request("POST", "/qbo/disconnect", "", `{"tenant":"acme","confirmation":"x"}`, acme), 400},
		{"forget with a connect state as confirmation", request("POST", "/qbo/disconnect", "",
			`{"tenant":"acme","forget_links":true,"confirmation":"`+state+`"}`, acme), 403},
		{"callback with a letter in realmId", request("GET", "/qbo/callback", "code=c&state="+state+"&realmId=12a", "", ""), 400},
		{"callback with a long code", request("GET", "/qbo/callback", "code="+strings.Repeat("c", maxCodeLen+1)+"&state="+state+"&realmId=1", "", ""), 400},
		{"callback without state", request("GET", "/qbo/callback", "code=c&realmId=1", "", ""), 400},
		{"callback with a forged state", request("GET", "/qbo/callback", "code=c&state=e30.AAAA&realmId=1", "", ""), 400},
		{"callback with Intuit's error", request("GET", "/qbo/callback", "error=access_denied&state="+state, "", ""), 400},
	}
	for _, tt := range tests {
		resp, err := h.Handle(context.Background(), tt.req)
		if err != nil || resp.StatusCode != tt.want {
			t.Errorf("%s: %d %s (%v), want %d", tt.name, resp.StatusCode, resp.Body, err, tt.want)
		}
		if strings.Contains(resp.Body, "<script") {
			t.Errorf("%s: the page reflects markup", tt.name)
		}
	}
}

func TestSignedTokensAreBoundToActionAndTenant(t *testing.T) {
	key, now := []byte("k"), time.Now()
	forget, _ := signState(key, "acme", actForgetLinks, now)
	sp, err := verifyState(key, forget, now)
	if err != nil || sp.Tenant != "acme" || sp.Action != actForgetLinks {
		t.Fatalf("verify = %+v, %v", sp, err)
	}
	if _, err := verifyState(key, forget, now.Add(stateTTL+time.Second)); !errors.Is(err, ErrBadState) {
		t.Error("expired confirmation accepted")
	}
	if _, err := verifyState([]byte("other"), forget, now); !errors.Is(err, ErrBadState) {
		t.Error("confirmation signed with another key accepted")
	}
	c := New(Config{StateKey: key}, fakeStore{t}, nil)
	if _, err := c.Callback(context.Background(), "code", "1", forget, ""); !errors.Is(err, ErrBadState) {
		t.Errorf("a forget confirmation was accepted as an OAuth state: %v", err)
	}
	if _, err := c.Disconnect(context.Background(), "beta", forget); !errors.Is(err, ErrConfirm) {
		t.Errorf("acme's confirmation accepted for beta: %v", err)
	}
}
