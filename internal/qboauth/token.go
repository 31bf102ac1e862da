package qboauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/qbosync/qbosync/internal/store"
)

// Token returns the tenant's connection with an access token valid for at
// least refreshMargin, refreshing it when needed or when force is set (QBO
// answered 401). A refreshed token pair is saved with a conditional write
// before it is returned; the loser of a concurrent refresh uses the winner's.
func (c *Connector) Token(ctx context.Context, tenant string, force bool) (store.Connection, error) {
	conn, err := c.usable(ctx, tenant)
	if err != nil {
		return store.Connection{}, err
	}
	if !force && c.fresh(conn) {
		return conn, nil
	}
	seen := conn.Rev
	for attempt := 0; attempt < 3; attempt++ {
		tok, err := c.oauth.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: conn.RefreshToken}).Token()
		if isInvalidGrant(err) {
			return c.afterInvalidGrant(ctx, tenant, seen)
		}
		if err != nil {
			return store.Connection{}, fmt.Errorf("refresh token of %s: %w", tenant, err)
		}
		saved, err := c.conns.SaveConnection(ctx, c.fromToken(conn, tok))
		if err == nil {
			return saved, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return store.Connection{}, fmt.Errorf("save refreshed token of %s: %w", tenant, err)
		}
		if conn, err = c.usable(ctx, tenant); err != nil {
			return store.Connection{}, err
		}
		if c.fresh(conn) {
			return conn, nil
		}
	}
	return store.Connection{}, fmt.Errorf("refresh token of %s: lost every concurrent refresh", tenant)
}

// afterInvalidGrant tells a refresh token superseded by a concurrent
// refresh (a newer revision appears) from a dead connection.
func (c *Connector) afterInvalidGrant(ctx context.Context, tenant string, seen int64) (store.Connection, error) {
	for i := 0; i < 5; i++ {
		conn, err := c.usable(ctx, tenant)
		if err != nil {
			return store.Connection{}, err
		}
		if conn.Rev != seen && c.fresh(conn) {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return store.Connection{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	conn, err := c.usable(ctx, tenant)
	if err != nil {
		return store.Connection{}, err
	}
	conn.Status = store.ConnNeedsReconnect
	if _, err := c.conns.SaveConnection(ctx, conn); err != nil && !errors.Is(err, store.ErrConflict) {
		return store.Connection{}, fmt.Errorf("mark %s needs reconnect: %w", tenant, err)
	}
	return store.Connection{}, ErrReconnect
}

func (c *Connector) usable(ctx context.Context, tenant string) (store.Connection, error) {
	conn, err := c.conns.Connection(ctx, tenant)
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
