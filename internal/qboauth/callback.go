package qboauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/store"
)

// ErrOtherCompany: the consent picked another QuickBooks company than the
// one the tenant syncs to, without a confirmed reset.
type ErrOtherCompany struct {
	Tenant, Connected, Chosen string
}

func (e *ErrOtherCompany) Error() string {
	return fmt.Sprintf("tenant %s syncs to company %s; the consent chose %s without a reset", e.Tenant, e.Connected, e.Chosen)
}

// ErrStateUsed: the state already completed a connect; a state works once.
var ErrStateUsed = errors.New("state already used")

// ErrGrantRefused is what a GrantChecker wraps when QuickBooks refused the
// new token for the company (as opposed to not answering).
var ErrGrantRefused = errors.New("the new grant does not open the company")

// ErrGrantMismatch: the grant Intuit issued does not open the company the
// callback's realmId names, or could not be checked; nothing was saved.
type ErrGrantMismatch struct {
	Tenant, Claimed string
	Err             error
}

func (e *ErrGrantMismatch) Error() string {
	return fmt.Sprintf("grant for %s not verified for company %s: %v", e.Tenant, e.Claimed, e.Err)
}

func (e *ErrGrantMismatch) Unwrap() error { return e.Err }

// Connected describes a completed connect.
type Connected struct {
	Tenant  string
	RealmID string
	// Reset: the tenant moved to another company; its links were forgotten.
	Reset bool
	// Requeued counts the entities sent again.
	Requeued int
	// Connection is the saved connection, tokens included (for the
	// readiness check; never rendered).
	Connection store.Connection
}

// Callback completes the flow: it checks state and spends it, refuses
// another company unless the state allows a reset, exchanges code, proves
// the new grant opens the company the callback names, claims that company
// for the tenant, stores the tokens and requeues what waited for the
// connection. Every refusal leaves the stored connection as it was.
func (c *Connector) Callback(ctx context.Context, code, realmID, state, redirect string) (Connected, error) {
	sp, err := verifyState(c.cfg.StateKey, state, c.cfg.Now())
	if err != nil || (sp.Action != actConnect && sp.Action != actConnectReset) {
		return Connected{}, ErrBadState
	}
	tenant := sp.Tenant
	if err := c.store.ConsumeState(ctx, tenant, sp.Nonce, time.Unix(sp.Expires, 0)); err != nil {
		if errors.Is(err, store.ErrStateUsed) {
			return Connected{}, ErrStateUsed
		}
		return Connected{}, err
	}
	prev, err := c.store.Connection(ctx, tenant)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Connected{}, err
	}
	reset := prev.RealmID != "" && prev.RealmID != realmID
	if reset && sp.Action != actConnectReset {
		return Connected{}, &ErrOtherCompany{Tenant: tenant, Connected: prev.RealmID, Chosen: realmID}
	}
	callCtx, cancel := context.WithTimeout(ctx, tokenCallTimeout)
	tok, err := c.withRedirect(redirect).Exchange(c.ctx(callCtx), code)
	cancel()
	if err != nil {
		return Connected{}, fmt.Errorf("exchange code for %s: %w", tenant, redact(err))
	}
	if err := c.adopt(ctx, tenant, realmID, tok.AccessToken); err != nil {
		// Nobody will use this grant: end it at Intuit.
		if rerr := c.revoke(ctx, tok.RefreshToken); rerr != nil {
			c.cfg.Log.WarnContext(ctx, "revoke refused grant", "tenant", tenant, "realm_id", realmID, "err", rerr)
		}
		return Connected{}, err
	}
	conn := c.fromToken(store.Connection{Tenant: tenant, Rev: prev.Rev}, tok)
	conn.RealmID, conn.Status, conn.ConnectedAt = realmID, store.ConnConnected, c.cfg.Now()
	conn.Relatch, conn.LinksForgottenAt = prev.Relatch || reset, prev.LinksForgottenAt
	if reset {
		if _, err := c.store.ForgetLinks(ctx, tenant); err != nil {
			return Connected{}, err
		}
		conn.LinksForgottenAt = conn.ConnectedAt
	}
	saved, err := c.store.SaveConnection(ctx, conn)
	if err != nil {
		return Connected{}, fmt.Errorf("save connection of %s: %w", tenant, err)
	}
	if reset {
		if err := c.store.ReleaseRealm(ctx, prev.RealmID, tenant); err != nil {
			c.cfg.Log.WarnContext(ctx, "release previous company", "tenant", tenant, "realm_id", prev.RealmID, "err", err)
		}
	}
	if reset && prev.RefreshToken != "" {
		// The old company's grant is no longer used: end it at Intuit.
		if err := c.revoke(ctx, prev.RefreshToken); err != nil {
			c.cfg.Log.WarnContext(ctx, "revoke previous company's grant", "tenant", tenant, "realm_id", prev.RealmID, "err", err)
		}
	}
	// After forgotten links every entity is sent again and re-latches;
	// otherwise only what waited for the connection.
	n, err := c.Resume(ctx, tenant, reset || prev.LinksForgottenAt.After(prev.ConnectedAt))
	if err != nil {
		c.cfg.Log.ErrorContext(ctx, "requeue after connect", "tenant", tenant, "err", err)
	}
	c.cfg.Log.InfoContext(ctx, "qbo connected", "tenant", tenant, "realm_id", realmID, "reset", reset, "requeued", n)
	return Connected{Tenant: tenant, RealmID: realmID, Reset: reset, Requeued: n, Connection: saved}, nil
}

// adopt checks that accessToken opens realmID (the callback's realmId is
// only a query parameter anyone can edit) and claims the company for
// tenant.
func (c *Connector) adopt(ctx context.Context, tenant, realmID, accessToken string) error {
	if c.cfg.CheckGrant != nil {
		callCtx, cancel := context.WithTimeout(ctx, tokenCallTimeout)
		err := c.cfg.CheckGrant(callCtx, realmID, accessToken)
		cancel()
		if err != nil {
			return &ErrGrantMismatch{Tenant: tenant, Claimed: realmID, Err: err}
		}
	}
	if err := c.store.ClaimRealm(ctx, realmID, tenant); err != nil {
		return fmt.Errorf("connect %s: %w", tenant, err)
	}
	return nil
}
