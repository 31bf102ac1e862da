package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// createInOpenPeriod handles QBO's refusal of a new document dated inside
// the closed period (books closed through the company's BookCloseDate):
// the document is never forced into it. By default it is posted on the
// first open day and flagged; with the hold setting it waits, with a
// warning that says why.
func createInOpenPeriod[T qbo.Entity](ctx context.Context, r *run, v T, reqID string,
	create func(context.Context, T, string) (T, error)) (T, error) {
	var zero T
	prefs, err := qbo.ReadPreferences(ctx, r.qbo, r.conn.RealmID)
	if err != nil {
		return zero, err
	}
	closed := prefs.AccountingInfoPrefs.BookCloseDate
	if closed == "" {
		return zero, &PermanentError{Reason: "QuickBooks refused the date as inside a closed period, but reports no closing date; check the company's close-the-books setting, then resend"}
	}
	day, err := time.Parse(time.DateOnly, closed)
	if err != nil {
		return zero, fmt.Errorf("read closing date %q: %w", closed, err)
	}
	open := day.AddDate(0, 0, 1).Format(time.DateOnly)
	dated, ok := any(&v).(qbo.Dated)
	if !ok {
		return zero, &PermanentError{Reason: "QuickBooks refused the object as inside a closed period, but it carries no date to move"}
	}
	orig := dated.Date()
	if r.tenant.Settings.ClosedBooks == record.ClosedHold {
		return zero, &PermanentError{Reason: fmt.Sprintf("Dated %s, inside QuickBooks' closed period (books closed through %s); held as the settings ask. Reopen the period or change the setting, then resend.", orig, closed)}
	}
	dated.SetDate(open)
	moved, err := create(ctx, v, reqID+"o")
	if err != nil {
		return zero, err
	}
	r.flag = fmt.Sprintf("Dated %s, inside QuickBooks' closed period (books closed through %s): posted on %s, the first open day.", orig, closed, open)
	return moved, nil
}
