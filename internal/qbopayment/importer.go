// Package qbopayment sends payments recorded in QuickBooks to the
// tenant's billing system as quickbooks.payment.created|updated|deleted
// events, for tenants whose payments direction is from_quickbooks. Intuit's
// webhooks name the payments (package intuit); an hourly change data
// capture pass finds those a lost notification never named. Payments the
// sync wrote (they carry its marker) are never sent back.
package qbopayment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// Event types sent to billing.
const (
	TypeCreated = "quickbooks.payment.created"
	TypeUpdated = "quickbooks.payment.updated"
	TypeDeleted = "quickbooks.payment.deleted"
)

// Recorder stores an outbound event once per id and delivers it.
type Recorder interface {
	Record(ctx context.Context, e outbound.Event) error
}

// PaidObserver records quickbooks.invoice.paid once per time a synced
// invoice's balance reaches zero (outbound.Store).
type PaidObserver interface {
	ObserveInvoice(ctx context.Context, b outbound.InvoiceBalance) error
}

// Store is what the importer reads and writes.
type Store interface {
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	Link(ctx context.Context, tenant string, kind billing.Kind, id string) (store.Link, error)
	ImportedPayment(ctx context.Context, tenant, realm, qboID string) (store.ImportedPayment, error)
	PutImportedPayment(ctx context.Context, tenant string, p store.ImportedPayment, prev *store.ImportedPayment) error
	PaymentWatermark(ctx context.Context, tenant string) (store.PaymentWatermark, error)
	SavePaymentWatermark(ctx context.Context, tenant string, w store.PaymentWatermark) error
	TenantIDs(ctx context.Context) ([]string, error)
}

// Tokens hands out a tenant's connection with a fresh access token.
type Tokens interface {
	Token(ctx context.Context, tenant string, force bool) (store.Connection, error)
}

// Importer fetches payments from QuickBooks and records their events.
// HTTPClient is the accounting client, admitted against the company's
// shared request schedule.
type Importer struct {
	Store    Store
	Tokens   Tokens
	Outbound Recorder
	// Paid, when set, is told the balance of every synced invoice a
	// payment pays, read anyway to name the invoices: an invoice paid in
	// QuickBooks is announced to billing within seconds, not at the next
	// reconciliation.
	Paid       PaidObserver
	QBOBaseURL string
	HTTPClient *http.Client
	Now        func() time.Time
	Log        *slog.Logger
}

// ErrNotImporting: the tenant's payments go to QuickBooks, not from it.
var ErrNotImporting = errors.New("payments direction is not from_quickbooks")

// tenantConn is one tenant's connection for one pass.
type tenantConn struct {
	tenant string
	conn   store.Connection
	api    *qbo.Client
}

func (im *Importer) connect(ctx context.Context, tenant string) (*tenantConn, error) {
	t, err := im.Store.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if !t.Settings.PaymentsFromQuickBooks() {
		return nil, ErrNotImporting
	}
	conn, err := im.Tokens.Token(ctx, tenant, false)
	if err != nil {
		return nil, fmt.Errorf("connection of %s: %w", tenant, err)
	}
	if conn.Status != store.ConnConnected || conn.RealmID == "" {
		return nil, fmt.Errorf("tenant %s is not connected", tenant)
	}
	return &tenantConn{tenant: tenant, conn: conn, api: qbo.New(qbo.WithToken(im.HTTPClient, conn.AccessToken), im.QBOBaseURL)}, nil
}

// Import fetches the payment Intuit named and records what changed. A
// notice for another company than the tenant's connection, or arriving
// after the direction was switched back, is dropped.
func (im *Importer) Import(ctx context.Context, tenant, realm, paymentID string) error {
	s, err := im.connect(ctx, tenant)
	if errors.Is(err, ErrNotImporting) {
		im.log().InfoContext(ctx, "quickbooks payment not imported", "tenant", tenant, "payment", paymentID, "reason", err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	if realm != s.conn.RealmID {
		im.log().WarnContext(ctx, "quickbooks payment of another company ignored", "tenant", tenant, "realm", realm)
		return nil
	}
	p, err := qbo.Read[qbo.Payment](ctx, s.api, realm, paymentID)
	var qe *qbo.Error
	if errors.As(err, &qe) && qe.ObjectNotFound() {
		return im.deleted(ctx, s, paymentID)
	}
	if err != nil {
		return fmt.Errorf("read payment %s: %w", paymentID, err)
	}
	return im.changed(ctx, s, p)
}

// marked reports a payment the sync wrote: exported, so never imported.
var markedRE = regexp.MustCompile(`\[billing [^\]]+\]`)

// typeExported marks, in the import record, a payment the sync wrote:
// once seen with its marker it is never imported, even after a void has
// replaced its memo (and the marker with it).
const typeExported = "exported"

// changed records the event of the payment's current SyncToken.
func (im *Importer) changed(ctx context.Context, s *tenantConn, p qbo.Payment) error {
	for {
		prev, err := im.Store.ImportedPayment(ctx, s.tenant, s.conn.RealmID, p.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		seen := err == nil
		switch {
		case seen && prev.EventType == typeExported:
			return nil
		case markedRE.MatchString(p.PrivateNote):
			return im.exported(ctx, s, p, prev, seen)
		case !seen && zero(p.TotalAmt):
			// No money moved: a voided payment billing never heard of (a
			// void replaces the memo, so it may be one the sync wrote) or
			// a credit applied in QuickBooks. Nothing to tell billing.
			return nil
		}
		var prevp *store.ImportedPayment
		typ := TypeCreated
		if seen {
			prevp = &prev
			if prev.SyncToken == p.SyncToken && !prev.Deleted {
				// Recorded before: record again in case the first record
				// failed after the save; the outbound store keeps one.
				return im.record(ctx, s, p, prev.EventType)
			}
			if !newer(p.SyncToken, prev.SyncToken) && !prev.Deleted {
				return nil
			}
			typ = TypeUpdated
		}
		data, err := im.describe(ctx, s, p)
		if err != nil {
			return err
		}
		next := store.ImportedPayment{RealmID: s.conn.RealmID, QBOID: p.ID, SyncToken: p.SyncToken, EventType: typ,
			CustomerID: data.CustomerID, InvoiceIDs: data.invoiceIDs()}
		err = im.Store.PutImportedPayment(ctx, s.tenant, next, prevp)
		if errors.Is(err, store.ErrConflict) {
			continue // a concurrent import (webhook and CDC) got there first
		}
		if err != nil {
			return err
		}
		return im.recordData(ctx, s, eventID(s.conn.RealmID, p.ID, p.SyncToken), typ, im.occurred(p), data)
	}
}

// exported remembers that p is the sync's, so that no later version of it,
// whatever its memo, is imported.
func (im *Importer) exported(ctx context.Context, s *tenantConn, p qbo.Payment, prev store.ImportedPayment, seen bool) error {
	var prevp *store.ImportedPayment
	if seen {
		prevp = &prev
	}
	err := im.Store.PutImportedPayment(ctx, s.tenant, store.ImportedPayment{RealmID: s.conn.RealmID, QBOID: p.ID,
		SyncToken: p.SyncToken, EventType: typeExported}, prevp)
	if errors.Is(err, store.ErrConflict) {
		return im.changed(ctx, s, p)
	}
	return err
}

// zero reports an amount of zero ("0", "0.00") or none.
func zero(n json.Number) bool { return strings.Trim(n.String(), "0.") == "" }

// record records the event of p's SyncToken as typ.
func (im *Importer) record(ctx context.Context, s *tenantConn, p qbo.Payment, typ string) error {
	data, err := im.describe(ctx, s, p)
	if err != nil {
		return err
	}
	return im.recordData(ctx, s, eventID(s.conn.RealmID, p.ID, p.SyncToken), typ, im.occurred(p), data)
}

// deleted records the deletion of a payment billing was told about;
// one it never heard of is nothing to billing.
func (im *Importer) deleted(ctx context.Context, s *tenantConn, id string) error {
	prev, err := im.Store.ImportedPayment(ctx, s.tenant, s.conn.RealmID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || prev.EventType == typeExported {
		return err
	}
	if !prev.Deleted {
		next := prev
		next.Deleted, next.EventType = true, TypeDeleted
		err = im.Store.PutImportedPayment(ctx, s.tenant, next, &prev)
		if errors.Is(err, store.ErrConflict) {
			return im.deleted(ctx, s, id)
		}
		if err != nil {
			return err
		}
	}
	data := Data{RealmID: s.conn.RealmID, PaymentID: id, CustomerID: prev.CustomerID, Deleted: true, AppliedTo: []Applied{}}
	for _, inv := range prev.InvoiceIDs {
		data.AppliedTo = append(data.AppliedTo, Applied{InvoiceID: inv})
	}
	return im.recordData(ctx, s, eventID(s.conn.RealmID, id, "deleted"), TypeDeleted, im.now(), data)
}

func (im *Importer) recordData(ctx context.Context, s *tenantConn, id, typ string, at time.Time, data Data) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode payment %s: %w", data.PaymentID, err)
	}
	if err := im.Outbound.Record(ctx, outbound.Event{ID: id, Tenant: s.tenant, Type: typ, OccurredAt: at, Data: raw}); err != nil {
		return fmt.Errorf("record %s of payment %s: %w", typ, data.PaymentID, err)
	}
	im.log().InfoContext(ctx, "quickbooks payment recorded for billing", "tenant", s.tenant, "payment", data.PaymentID,
		"type", typ, "event_id", id)
	return nil
}

// eventID is the idempotency key of one version of a payment, derived
// from the company, the payment and its SyncToken ("deleted" for its
// deletion): the same change seen through a webhook, its duplicate and
// CDC is one event.
func eventID(realm, paymentID, version string) string {
	sum := sha256.Sum256([]byte(realm + "\x00" + paymentID + "\x00" + version))
	return "evt_qbo_payment_" + hex.EncodeToString(sum[:12])
}

// EventID is the id of the event of a payment's version (its SyncToken,
// or "deleted").
func EventID(realm, paymentID, version string) string { return eventID(realm, paymentID, version) }

// newer compares SyncTokens, which count up.
func newer(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// occurred is when the version changed in QuickBooks, the same whichever
// path (webhook or sweep) read it.
func (im *Importer) occurred(p qbo.Payment) time.Time {
	if p.MetaData != nil && !p.MetaData.LastUpdatedTime.IsZero() {
		return p.MetaData.LastUpdatedTime.UTC()
	}
	return im.now()
}

func (im *Importer) now() time.Time {
	if im.Now == nil {
		return time.Now().UTC()
	}
	return im.Now().UTC()
}

func (im *Importer) log() *slog.Logger {
	if im.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return im.Log
}

// invoiceMarkerRE reads the sync's marker on an invoice it wrote.
var invoiceMarkerRE = regexp.MustCompile(`\[billing (?:([a-z0-9_-]+)/)?invoice ([A-Za-z0-9._:-]+)\]`)

// billingInvoice returns the billing invoice a QuickBooks invoice mirrors:
// the one its marker names, if that invoice's link points back at it.
func (im *Importer) billingInvoice(ctx context.Context, s *tenantConn, inv qbo.Invoice) (string, error) {
	for _, m := range invoiceMarkerRE.FindAllStringSubmatch(inv.PrivateNote, -1) {
		if m[1] != "" && m[1] != s.tenant {
			continue
		}
		l, err := im.Store.Link(ctx, s.tenant, billing.KindInvoice, m[2])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if l.QBOID == inv.ID && l.RealmID == s.conn.RealmID {
			return m[2], nil
		}
	}
	return "", nil
}

func appliedInvoices(p qbo.Payment) []string {
	var ids []string
	for _, l := range p.Line {
		for _, t := range l.LinkedTxn {
			if t.TxnType == "Invoice" && !slices.Contains(ids, t.TxnID) {
				ids = append(ids, t.TxnID)
			}
		}
	}
	return ids
}
