package qboauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/oauth2"

	"github.com/qbosync/qbosync/internal/store"
)

const (
	// leaseTTL bounds how long a refresher that died blocks the others; the
	// token call is cut off well before it (tokenCallTimeout).
	leaseTTL         = 30 * time.Second
	tokenCallTimeout = 15 * time.Second
	// waitLimit is how long a refresher waits for another's lease before
	// giving up with a retryable error: longer than one lease.
	waitLimit = 40 * time.Second
)

// Token returns the tenant's connection with an access token valid for at
// least refreshMargin, refreshing it when needed or when force is set (QBO
// answered 401). Only the holder of the tenant's refresh lease refreshes;
// it saves the rotated tokens before returning them. Everyone else waits
// for the saved tokens and uses them.
func (c *Connector) Token(ctx context.Context, tenant string, force bool) (store.Connection, error) {
	conn, err := c.usable(ctx, tenant)
	if err != nil {
		return store.Connection{}, err
	}
	if !force && c.fresh(conn) {
		return conn, nil
	}
	return c.refresh(ctx, tenant, conn.Rev)
}

// refresh gets the connection refreshed after revision seen, by this
// caller under the lease or by whoever holds it.
func (c *Connector) refresh(ctx context.Context, tenant string, seen int64) (store.Connection, error) {
	owner := newOwner()
	deadline := time.Now().Add(waitLimit)
	for {
		held, err := c.store.AcquireRefreshLease(ctx, tenant, owner, leaseTTL)
		if err != nil {
			return store.Connection{}, err
		}
		conn, err := c.usable(ctx, tenant)
		if err != nil {
			c.release(ctx, tenant, owner, held)
			return store.Connection{}, err
		}
		if conn.Rev != seen && c.fresh(conn) {
			c.release(ctx, tenant, owner, held) // refreshed meanwhile
			return conn, nil
		}
		if held {
			return c.refreshHeld(ctx, conn, owner)
		}
		if time.Now().After(deadline) {
			return store.Connection{}, fmt.Errorf("refresh token of %s: another refresh is still running", tenant)
		}
		if err := sleep(ctx, 100*time.Millisecond+jitter(150*time.Millisecond)); err != nil {
			return store.Connection{}, err
		}
	}
}

// refreshHeld refreshes conn under owner's lease. The save both persists
// the rotated refresh token and releases the lease.
func (c *Connector) refreshHeld(ctx context.Context, conn store.Connection, owner string) (store.Connection, error) {
	callCtx, cancel := context.WithTimeout(ctx, tokenCallTimeout)
	tok, err := c.oauth.TokenSource(c.ctx(callCtx), &oauth2.Token{RefreshToken: conn.RefreshToken}).Token()
	cancel()
	if isInvalidGrant(err) {
		return store.Connection{}, c.needsReconnect(ctx, conn)
	}
	if err != nil {
		c.release(ctx, conn.Tenant, owner, true)
		return store.Connection{}, fmt.Errorf("refresh token of %s: %w", conn.Tenant, redact(err))
	}
	next := c.fromToken(conn, tok)
	if next.Warning != nil && next.Warning.Code == WarnRefreshExpiring {
		next.Warning = nil // a refresh renewed the rolling expiry
	}
	// Intuit has already retired the old refresh token: losing the new one
	// to a passing DynamoDB error would cost the connection, so retry.
	for attempt := 0; ; attempt++ {
		saved, err := c.store.SaveConnection(ctx, next)
		if err == nil {
			c.cfg.Log.InfoContext(ctx, "qbo token refreshed", "tenant", conn.Tenant, "realm_id", conn.RealmID)
			return saved, nil
		}
		if errors.Is(err, store.ErrConflict) {
			// A reconnect or disconnect replaced the connection under the
			// lease; the grant just refreshed is superseded.
			return c.usableFresh(ctx, conn.Tenant)
		}
		if attempt == 4 {
			return store.Connection{}, fmt.Errorf("save refreshed token of %s: %w", conn.Tenant, err)
		}
		if err := sleep(ctx, time.Duration(100<<attempt)*time.Millisecond); err != nil {
			return store.Connection{}, err
		}
	}
}

// Warning codes on a connection.
const (
	WarnNeedsReconnect  = "needs_reconnect"
	WarnRefreshExpiring = "refresh_token_expiring"
	WarnHardExpiry      = "refresh_token_hard_expiry"
)

// needsReconnect records that Intuit refused the refresh token. The lease
// holder is the only refresher, so the refusal cannot be a lost race.
func (c *Connector) needsReconnect(ctx context.Context, conn store.Connection) error {
	conn.Status, conn.AccessToken, conn.RefreshToken = store.ConnNeedsReconnect, "", ""
	conn.Warning = &store.Warning{Code: WarnNeedsReconnect,
		Message: "QuickBooks refused the saved authorization (invalid_grant): it was revoked in QuickBooks or expired. " +
			"Syncing is paused and nothing is lost; reconnect QuickBooks and everything queued is sent."}
	if _, err := c.store.SaveConnection(ctx, conn); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("mark %s needs reconnect: %w", conn.Tenant, err)
	}
	c.cfg.Log.WarnContext(ctx, "qbo connection needs reconnecting", "tenant", conn.Tenant, "realm_id", conn.RealmID)
	return ErrReconnect
}

func (c *Connector) usableFresh(ctx context.Context, tenant string) (store.Connection, error) {
	conn, err := c.usable(ctx, tenant)
	if err != nil {
		return store.Connection{}, err
	}
	if !c.fresh(conn) {
		return store.Connection{}, fmt.Errorf("refresh token of %s: the connection changed during the refresh", tenant)
	}
	return conn, nil
}

func (c *Connector) release(ctx context.Context, tenant, owner string, held bool) {
	if !held {
		return
	}
	if err := c.store.ReleaseRefreshLease(ctx, tenant, owner); err != nil {
		c.cfg.Log.WarnContext(ctx, "release refresh lease", "tenant", tenant, "err", err)
	}
}

func (c *Connector) usable(ctx context.Context, tenant string) (store.Connection, error) {
	conn, err := c.store.Connection(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, ErrNotConnected
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("load connection of %s: %w", tenant, err)
	}
	switch conn.Status {
	case store.ConnConnected:
		return conn, nil
	case store.ConnNeedsReconnect:
		return store.Connection{}, ErrReconnect
	}
	return store.Connection{}, ErrNotConnected
}

func (c *Connector) fresh(conn store.Connection) bool {
	return conn.AccessToken != "" && conn.AccessExpiresAt.After(c.cfg.Now().Add(refreshMargin))
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// redact keeps Intuit's error code and status but drops the response body
// and URL an oauth2 error carries, so no token fragment reaches a log.
func redact(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("token endpoint answered %d %s", status, re.ErrorCode)
	}
	return err
}

func newOwner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

func jitter(max time.Duration) time.Duration {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(max)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
