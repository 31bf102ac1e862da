package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// CreateTenant stores a tenant whose webhooks are signed with secret.
func (s *Stack) CreateTenant(ctx context.Context, id, secret string) error {
	if err := s.store.CreateTenant(ctx, store.Tenant{ID: id, Name: id, WebhookSecrets: []string{secret}}); err != nil {
		return fmt.Errorf("create tenant %s: %w", id, err)
	}
	return nil
}

// maxRedirects bounds the connect flow: consent → callback.
const maxRedirects = 5

// ConnectQBO connects tenant to a new simulator company the way an admin
// does: the admin page asks POST /qbo/connect (with the admin's token) for
// Intuit's consent URL, the browser follows it to the simulator, which
// approves at once and redirects back to /qbo/callback. It returns the
// company's realm id once the tenant's connection is stored.
func (s *Stack) ConnectQBO(ctx context.Context, tenant string) (string, error) {
	return s.ConnectCompany(ctx, tenant, "", false)
}

// ConnectError is a connect flow the product refused: the status and page
// of the callback (or of POST /qbo/connect).
type ConnectError struct {
	Status int
	Body   string
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("connect answered %d: %s", e.Status, e.Body)
}

// ConnectCompany is ConnectQBO choosing the simulator company realm on the
// consent screen ("" for a new one). reset asks to move a tenant connected
// to another company to this one.
func (s *Stack) ConnectCompany(ctx context.Context, tenant, realm string, reset bool) (string, error) {
	authorize, err := s.authorizeURL(ctx, tenant, reset)
	if err != nil {
		return "", err
	}
	if realm != "" {
		u, err := url.Parse(authorize)
		if err != nil {
			return "", fmt.Errorf("connect %s: %w", tenant, err)
		}
		q := u.Query()
		q.Set("realm", realm)
		u.RawQuery = q.Encode()
		authorize = u.String()
	}
	browser := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	next, chosen := authorize, ""
	for range maxRedirects {
		u, err := url.Parse(next)
		if err != nil {
			return "", fmt.Errorf("connect %s: redirect %q: %w", tenant, next, err)
		}
		if r := u.Query().Get("realmId"); r != "" && strings.HasPrefix(next, s.gwURL+"/qbo/callback") {
			chosen = r
		}
		status, loc, body, err := get(ctx, browser, next)
		if err != nil {
			return "", fmt.Errorf("connect %s: %w", tenant, err)
		}
		if status == http.StatusFound || status == http.StatusSeeOther {
			next = loc
			continue
		}
		if status != http.StatusOK {
			return "", &ConnectError{Status: status, Body: string(body)}
		}
		return s.connected(ctx, tenant, chosen)
	}
	return "", fmt.Errorf("connect %s: more than %d redirects", tenant, maxRedirects)
}

// authorizeURL asks the OAuth function for Intuit's consent URL.
func (s *Stack) authorizeURL(ctx context.Context, tenant string, reset bool) (string, error) {
	body, err := json.Marshal(map[string]any{"tenant": tenant, "reset": reset})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.gwURL+"/qbo/connect", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.AdminToken(tenant))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", tenant, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", tenant, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &ConnectError{Status: resp.StatusCode, Body: string(b)}
	}
	var out struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.AuthorizeURL == "" {
		return "", fmt.Errorf("connect %s: POST /qbo/connect answered %s", tenant, b)
	}
	return out.AuthorizeURL, nil
}

func (s *Stack) connected(ctx context.Context, tenant, realm string) (string, error) {
	if realm == "" {
		return "", fmt.Errorf("connect %s: the flow ended without reaching the callback", tenant)
	}
	c, err := s.store.Connection(ctx, tenant)
	if err != nil {
		return "", fmt.Errorf("connect %s: read connection: %w", tenant, err)
	}
	if c.RealmID != realm || c.Status != store.ConnConnected || c.AccessToken == "" {
		return "", fmt.Errorf("connect %s: stored connection is realm %q status %q, want realm %q connected", tenant, c.RealmID, c.Status, realm)
	}
	return realm, nil
}

func get(ctx context.Context, c *http.Client, u string) (status int, location string, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, "", nil, fmt.Errorf("read %s: %w", u, err)
	}
	loc, err := resp.Location()
	if err != nil && !errors.Is(err, http.ErrNoLocation) {
		return 0, "", nil, fmt.Errorf("redirect from %s: %w", u, err)
	}
	if loc != nil {
		location = loc.String()
	}
	return resp.StatusCode, location, body, nil
}

// WebhookURL is where tenant's billing system posts its events.
func (s *Stack) WebhookURL(tenant string) string {
	return s.gwURL + "/v1/webhooks/" + url.PathEscape(tenant)
}

// PostEvent signs body with secret at the current time, as a billing
// system does, and posts it to tenant's webhook. It returns the answer.
func (s *Stack) PostEvent(ctx context.Context, tenant string, secret, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebhookURL(tenant), bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("post event: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(billing.SignatureHeader, billing.Sign(secret, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post event: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("post event: read answer: %w", err)
	}
	return resp.StatusCode, out, nil
}

// ConsentCallback runs the connect flow up to Intuit's redirect and
// returns the callback URL Intuit sent the browser to, unvisited, so a
// test can replay or alter it as an attacker would.
func (s *Stack) ConsentCallback(ctx context.Context, tenant, realm string, reset bool) (string, error) {
	authorize, err := s.authorizeURL(ctx, tenant, reset)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(authorize)
	if err != nil {
		return "", fmt.Errorf("consent for %s: %w", tenant, err)
	}
	if realm != "" {
		q := u.Query()
		q.Set("realm", realm)
		u.RawQuery = q.Encode()
	}
	browser := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, loc, body, err := get(ctx, browser, u.String())
	if err != nil {
		return "", fmt.Errorf("consent for %s: %w", tenant, err)
	}
	if !strings.HasPrefix(loc, s.gwURL+"/qbo/callback") {
		return "", &ConnectError{Status: status, Body: string(body)}
	}
	return loc, nil
}

// Visit GETs u as a browser does and returns the status and page.
func (s *Stack) Visit(ctx context.Context, u string) (int, string, error) {
	browser := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, _, body, err := get(ctx, browser, u)
	return status, string(body), err
}
