package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/qboauth"
	"github.com/qbosync/qbosync/internal/store"
)

// How far ahead admins are warned. The rolling expiry moves with every
// refresh, so its warning means refreshes have been failing for long; the
// five-year hard expiry cannot be moved, only a reconnect starts a new one.
const (
	rollingWarnAhead = 14 * 24 * time.Hour
	hardWarnAhead    = 30 * 24 * time.Hour
)

// ExpiryWarning returns the warning conn deserves at now, or nil.
func ExpiryWarning(conn store.Connection, now time.Time) *store.Warning {
	if h := conn.RefreshHardExpiresAt; !h.IsZero() && h.Before(now.Add(hardWarnAhead)) {
		return &store.Warning{Code: qboauth.WarnHardExpiry, Message: fmt.Sprintf(
			"QuickBooks' authorization reaches Intuit's five-year limit on %s and then stops working for good. "+
				"Reconnect QuickBooks before that date (same company: nothing is lost or duplicated).", h.UTC().Format(time.DateOnly))}
	}
	if r := conn.RefreshExpiresAt; !r.IsZero() && r.Before(now.Add(rollingWarnAhead)) {
		return &store.Warning{Code: qboauth.WarnRefreshExpiring, Message: fmt.Sprintf(
			"QuickBooks' authorization expires on %s unless it is refreshed; refreshes have not renewed it. "+
				"Reconnect QuickBooks before that date.", r.UTC().Format(time.DateOnly))}
	}
	return nil
}

// warnExpiry sets or clears the expiry warning on the connection; other
// warnings are left to whoever set them.
func (s *Scheduler) warnExpiry(ctx context.Context, conn store.Connection) error {
	want := ExpiryWarning(conn, s.now())
	have := conn.Warning
	switch {
	case want != nil && (have == nil || *have != *want):
		s.log.WarnContext(ctx, "qbo authorization expiring", "tenant", conn.Tenant, "realm_id", conn.RealmID, "code", want.Code)
	case want == nil && have != nil && (have.Code == qboauth.WarnHardExpiry || have.Code == qboauth.WarnRefreshExpiring):
	default:
		return nil
	}
	if err := s.store.SetConnectionWarning(ctx, conn.Tenant, want); err != nil {
		return fmt.Errorf("set expiry warning: %w", err)
	}
	return nil
}
