package qbopayment

import (
	"context"
	"errors"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/throttle"
)

// Deferrer parks a message until it is due (the defer queue).
type Deferrer interface {
	Defer(ctx context.Context, m queue.Message, until time.Time) error
}

// maxDeferrals bounds the waits of one import; after them the message
// fails to its queue and, at worst, the hourly sweep records the payment.
const maxDeferrals = 10

// Handle imports the payment a queued message names. What must wait (the
// company's request budget, QuickBooks unavailable) is parked on the
// defer queue instead of failing: a failure would hold the tenant's
// message group and spend one of the message's receives.
func (im *Importer) Handle(ctx context.Context, d Deferrer, m queue.Message) error {
	err := im.Import(ctx, m.Tenant, m.Realm, m.ID)
	until, wait := im.waitFor(err, m.Attempt)
	if !wait || d == nil || m.Attempt >= maxDeferrals {
		return err
	}
	im.log().InfoContext(ctx, "quickbooks payment import deferred", "tenant", m.Tenant, "payment", m.ID,
		"until", until, "reason", err.Error())
	m.Attempt++
	return d.Defer(ctx, m, until)
}

func (im *Importer) waitFor(err error, attempt int) (time.Time, bool) {
	var te *throttle.Error
	switch {
	case err == nil:
		return time.Time{}, false
	case errors.As(err, &te):
		return te.Until, true
	case qbo.IsThrottled(err), qbo.IsTemporary(err):
		return im.now().Add(min(30*time.Second<<attempt, 15*time.Minute)), true
	}
	return time.Time{}, false
}
