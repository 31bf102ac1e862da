package qbopayment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

const (
	// cdcWindow is how far back change data capture reaches (30 days),
	// less a margin for the request's own time.
	cdcWindow = 30*24*time.Hour - time.Hour
	// skew is taken off each pass's start for clocks and whole-second
	// timestamps: a change is rather seen twice (one event) than missed.
	skew = 5 * time.Second
)

// SweepAll runs the change data capture pass for every tenant importing
// payments; one tenant's failure is logged and does not stop the others.
func (im *Importer) SweepAll(ctx context.Context) error {
	ids, err := im.Store.TenantIDs(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	var errs []error
	for _, id := range ids {
		err := im.Sweep(ctx, id)
		switch {
		case errors.Is(err, ErrNotImporting):
		case err != nil:
			im.log().ErrorContext(ctx, "quickbooks payments sweep failed", "tenant", id, "err", err)
			errs = append(errs, fmt.Errorf("sweep %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// Sweep asks change data capture for the payments changed since the
// tenant's watermark and records each as Import does: the safety net for
// notifications Intuit never delivered. The watermark moves only after
// every change was recorded.
func (im *Importer) Sweep(ctx context.Context, tenant string) error {
	s, err := im.connect(ctx, tenant)
	if err != nil {
		return err
	}
	start := im.now()
	w, err := im.Store.PaymentWatermark(ctx, tenant)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && w.RealmID != s.conn.RealmID:
		// Payments are imported from when the direction was chosen (the
		// admin API stores that watermark); nothing older is sent.
		w = store.PaymentWatermark{RealmID: s.conn.RealmID, Since: start}
	case err != nil:
		return err
	}
	since := w.Since
	if start.Sub(since) > cdcWindow {
		im.log().WarnContext(ctx, "quickbooks payments sweep reaches back only 30 days", "tenant", tenant, "watermark", since)
		since = start.Add(-cdcWindow)
	}
	n, err := im.sweepSince(ctx, s, since)
	if err != nil {
		return err
	}
	im.log().InfoContext(ctx, "quickbooks payments swept", "tenant", tenant, "since", since, "changes", n)
	return im.Store.SavePaymentWatermark(ctx, tenant, store.PaymentWatermark{RealmID: s.conn.RealmID, Since: start.Add(-skew)})
}

// changedPayment is a Payment as CDC returns it; deleted ones are stubs
// with status Deleted.
type changedPayment struct {
	qbo.Payment
	Status string `json:"status"`
}

// sweepSince follows CDC on while its answers come back full.
func (im *Importer) sweepSince(ctx context.Context, s *tenantConn, since time.Time) (int, error) {
	n := 0
	for {
		ch, err := s.api.CDC(ctx, s.conn.RealmID, []string{"Payment"}, since)
		if err != nil {
			return n, fmt.Errorf("payments changed since %s: %w", since.Format(time.RFC3339), err)
		}
		latest := since
		for _, raw := range ch["Payment"] {
			var p changedPayment
			if err := json.Unmarshal(raw, &p); err != nil {
				return n, fmt.Errorf("decode changed payment: %w", err)
			}
			if p.Status == "Deleted" {
				err = im.deleted(ctx, s, p.ID)
			} else {
				err = im.changed(ctx, s, p.Payment)
			}
			if err != nil {
				return n, err
			}
			n++
			if p.MetaData != nil && p.MetaData.LastUpdatedTime.After(latest) {
				latest = p.MetaData.LastUpdatedTime
			}
		}
		if ch.Len() < qbo.MaxCDCObjects || !latest.After(since) {
			return n, nil
		}
		since = latest
	}
}
