package devstack

import (
	"bytes"
	"context"
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

// maxRedirects bounds the connect flow: connect → consent → callback.
const maxRedirects = 5

// ConnectQBO connects tenant to a new simulator company the way an admin's
// browser does: GET /qbo/connect on the gateway, follow the redirect to the
// simulator's consent, which approves at once and redirects back to
// /qbo/callback. It returns the company's realm id once the tenant's
// connection is stored.
func (s *Stack) ConnectQBO(ctx context.Context, tenant string) (string, error) {
	browser := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	next := s.gwURL + "/qbo/connect?tenant=" + url.QueryEscape(tenant)
	var realm string
	for range maxRedirects {
		u, err := url.Parse(next)
		if err != nil {
			return "", fmt.Errorf("connect %s: redirect %q: %w", tenant, next, err)
		}
		if r := u.Query().Get("realmId"); r != "" && strings.HasPrefix(next, s.gwURL+"/qbo/callback") {
			realm = r
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
			return "", fmt.Errorf("connect %s: GET %s answered %d: %s", tenant, u.Path, status, body)
		}
		return s.connected(ctx, tenant, realm)
	}
	return "", fmt.Errorf("connect %s: more than %d redirects", tenant, maxRedirects)
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
