package qboauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/qbosync/qbosync/internal/store"
)

// ErrConfirm: forgetting links needs the confirmation token a first call
// returned; the one given is missing, forged, expired or another tenant's.
var ErrConfirm = errors.New("confirmation required")

// Disconnected describes a finished disconnect.
type Disconnected struct {
	Tenant, RealmID string
	// Revoked: Intuit confirmed the grant is gone (false when there was no
	// token left to revoke, e.g. after invalid_grant).
	Revoked bool
	// LinksForgotten counts the links deleted (0 when kept).
	LinksForgotten int
}

// ConfirmForget returns a token, valid for stateTTL, that lets
// Disconnect forget the tenant's links. Forgetting cannot be undone: the
// two steps make it a deliberate choice.
func (c *Connector) ConfirmForget(tenant string) (token string, expires time.Time, err error) {
	now := c.cfg.Now()
	token, err = signState(c.cfg.StateKey, tenant, actForgetLinks, now)
	return token, now.Add(stateTTL), err
}

// Disconnect revokes the tenant's grant at Intuit and stops syncing:
// entities stay queued until the next connect. Links are kept, so a
// reconnect to the same company updates what exists; with a valid
// confirmation from ConfirmForget they are forgotten instead, and the next
// sync of each entity looks for its QBO object before creating one.
func (c *Connector) Disconnect(ctx context.Context, tenant string, confirmation string) (Disconnected, error) {
	forget := confirmation != ""
	if forget {
		sp, err := verifyState(c.cfg.StateKey, confirmation, c.cfg.Now())
		if err != nil || sp.Action != actForgetLinks || sp.Tenant != tenant {
			return Disconnected{}, ErrConfirm
		}
	}
	// Hold the refresh lease so no refresh rotates the token being revoked.
	owner := newOwner()
	if err := c.acquire(ctx, tenant, owner); err != nil {
		return Disconnected{}, err
	}
	conn, err := c.store.Connection(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return Disconnected{}, ErrNotConnected
	}
	if err != nil {
		c.release(ctx, tenant, owner, true)
		return Disconnected{}, err
	}
	out := Disconnected{Tenant: tenant, RealmID: conn.RealmID}
	if tok := firstNonEmpty(conn.RefreshToken, conn.AccessToken); tok != "" {
		if err := c.revoke(ctx, tok); err != nil {
			c.release(ctx, tenant, owner, true)
			return Disconnected{}, fmt.Errorf("disconnect %s: %w", tenant, err)
		}
		out.Revoked = true
	}
	now := c.cfg.Now()
	conn.Status, conn.AccessToken, conn.RefreshToken, conn.DisconnectedAt = store.ConnDisconnected, "", "", now
	conn.Warning = nil
	if forget {
		if out.LinksForgotten, err = c.store.ForgetLinks(ctx, tenant); err != nil {
			c.release(ctx, tenant, owner, true)
			return Disconnected{}, err
		}
		conn.Relatch, conn.LinksForgottenAt = true, now
	}
	if _, err := c.store.SaveConnection(ctx, conn); err != nil {
		c.release(ctx, tenant, owner, true)
		return Disconnected{}, fmt.Errorf("save disconnect of %s: %w", tenant, err)
	}
	c.cfg.Log.InfoContext(ctx, "qbo disconnected", "tenant", tenant, "realm_id", conn.RealmID,
		"revoked", out.Revoked, "links_forgotten", out.LinksForgotten)
	return out, nil
}

// acquire waits for the tenant's refresh lease; a tenant that never
// connected has none to take.
func (c *Connector) acquire(ctx context.Context, tenant, owner string) error {
	deadline := time.Now().Add(waitLimit)
	for {
		held, err := c.store.AcquireRefreshLease(ctx, tenant, owner, leaseTTL)
		if err != nil {
			return err
		}
		if held {
			return nil
		}
		if _, err := c.store.Connection(ctx, tenant); errors.Is(err, store.ErrNotFound) {
			return ErrNotConnected
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("disconnect %s: a token refresh is still running", tenant)
		}
		if err := sleep(ctx, 100*time.Millisecond+jitter(150*time.Millisecond)); err != nil {
			return err
		}
	}
}

// revoke ends the grant token belongs to at Intuit's revocation endpoint
// (JSON body, client credentials in Basic auth, as Intuit's SDKs send).
func (c *Connector) revoke(ctx context.Context, token string) error {
	if c.cfg.RevokeURL == "" {
		return errors.New("no revocation endpoint configured")
	}
	body, err := json.Marshal(map[string]string{"token": token})
	if err != nil {
		return err
	}
	callCtx, cancel := context.WithTimeout(ctx, tokenCallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, c.cfg.RevokeURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revoke: Intuit answered %d", resp.StatusCode)
	}
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
