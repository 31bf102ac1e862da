package qbopayment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// Data is the data of a quickbooks.payment.* event. Amounts are decimals
// in the currency's own digits, read from QuickBooks as exact minor units
// and formatted exactly (api/billing-events.v1.schema.json).
type Data struct {
	RealmID   string `json:"realm_id"`
	PaymentID string `json:"payment_id"`
	SyncToken string `json:"sync_token,omitempty"`
	// CustomerID is the billing customer the QuickBooks customer is linked
	// to; empty when it is none of billing's.
	CustomerID    string    `json:"customer_id,omitempty"`
	QBOCustomerID string    `json:"qbo_customer_id,omitempty"`
	Amount        string    `json:"amount,omitempty"`
	Unapplied     string    `json:"unapplied_amount,omitempty"`
	Currency      string    `json:"currency,omitempty"`
	ReceivedOn    string    `json:"received_on,omitempty"`
	Reference     string    `json:"reference,omitempty"`
	AppliedTo     []Applied `json:"applied_to"`
	Deleted       bool      `json:"deleted,omitempty"`
}

// Applied is one invoice the payment pays: the billing invoice when the
// QuickBooks invoice is one the sync wrote.
type Applied struct {
	InvoiceID    string `json:"invoice_id,omitempty"`
	QBOInvoiceID string `json:"qbo_invoice_id,omitempty"`
	Amount       string `json:"amount,omitempty"`
}

func (d Data) invoiceIDs() []string {
	var ids []string
	for _, a := range d.AppliedTo {
		if a.InvoiceID != "" {
			ids = append(ids, a.InvoiceID)
		}
	}
	return ids
}

// describe reads what billing needs about p: its customer, currency and
// the billing invoices it pays (two requests: the customer and one query
// for every invoice).
func (im *Importer) describe(ctx context.Context, s *tenantConn, p qbo.Payment) (Data, error) {
	d := Data{RealmID: s.conn.RealmID, PaymentID: p.ID, SyncToken: p.SyncToken, ReceivedOn: p.TxnDate,
		Reference: p.PaymentRefNum, AppliedTo: []Applied{}}
	if p.CurrencyRef != nil {
		d.Currency = p.CurrencyRef.Value
	}
	if p.CustomerRef != nil && p.CustomerRef.Value != "" {
		d.QBOCustomerID = p.CustomerRef.Value
		c, err := qbo.Read[qbo.Customer](ctx, s.api, s.conn.RealmID, d.QBOCustomerID)
		if err != nil {
			return Data{}, fmt.Errorf("read customer %s of payment %s: %w", d.QBOCustomerID, p.ID, err)
		}
		if d.Currency == "" && c.CurrencyRef != nil {
			d.Currency = c.CurrencyRef.Value
		}
		if d.CustomerID, err = im.billingCustomer(ctx, s, c); err != nil {
			return Data{}, err
		}
	}
	if d.Currency == "" {
		return Data{}, fmt.Errorf("payment %s: no currency on the payment or its customer", p.ID)
	}
	var err error
	if d.Amount, err = decimal(p.TotalAmt, d.Currency); err != nil {
		return Data{}, err
	}
	if d.Unapplied, err = decimal(p.UnappliedAmt, d.Currency); err != nil {
		return Data{}, err
	}
	byQBO, err := im.invoices(ctx, s, d, appliedInvoices(p))
	if err != nil {
		return Data{}, err
	}
	for _, l := range p.Line {
		for _, t := range l.LinkedTxn {
			if t.TxnType != "Invoice" {
				continue
			}
			a := Applied{InvoiceID: byQBO[t.TxnID], QBOInvoiceID: t.TxnID}
			if a.Amount, err = decimal(l.Amount, d.Currency); err != nil {
				return Data{}, err
			}
			d.AppliedTo = append(d.AppliedTo, a)
		}
	}
	return d, nil
}

// invoices maps QuickBooks invoice ids to the billing invoices they mirror,
// and tells the paid observer the balance of each.
func (im *Importer) invoices(ctx context.Context, s *tenantConn, d Data, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	invs, err := qbo.Query[qbo.Invoice](ctx, s.api, s.conn.RealmID, "select * from Invoice where Id in ("+qbo.QuoteList(ids)+")")
	if err != nil {
		return nil, fmt.Errorf("read invoices %v: %w", ids, err)
	}
	for _, inv := range invs {
		id, err := im.billingInvoice(ctx, s, inv)
		if err != nil {
			return nil, err
		}
		out[inv.ID] = id
		if err := im.observePaid(ctx, s, d, id, inv); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// observePaid passes a synced invoice's balance in QuickBooks to the paid
// observer. A payment pays invoices of its own currency only, so the payment's
// currency is the invoice's when QuickBooks leaves it out.
func (im *Importer) observePaid(ctx context.Context, s *tenantConn, d Data, invoiceID string, inv qbo.Invoice) error {
	if im.Paid == nil || invoiceID == "" {
		return nil
	}
	currency := d.Currency
	if inv.CurrencyRef != nil && inv.CurrencyRef.Value != "" {
		currency = inv.CurrencyRef.Value
	}
	total, err := money.Parse(inv.TotalAmt.String(), currency)
	if err != nil {
		return fmt.Errorf("invoice %s total %q: %w", inv.ID, inv.TotalAmt, err)
	}
	balance, err := money.Parse(inv.Balance.String(), currency)
	if err != nil {
		return fmt.Errorf("invoice %s balance %q: %w", inv.ID, inv.Balance, err)
	}
	return im.Paid.ObserveInvoice(ctx, outbound.InvoiceBalance{Tenant: s.tenant, InvoiceID: invoiceID, CustomerID: d.CustomerID,
		RealmID: s.conn.RealmID, QBOID: inv.ID, DocNumber: inv.DocNumber, Currency: currency, Total: total, Balance: balance})
}

var customerMarkerRE = regexp.MustCompile(`\[billing (?:([a-z0-9_-]+)/)?customer ([A-Za-z0-9._:-]+)\]`)

// billingCustomer returns the billing customer linked to c, "" if none.
func (im *Importer) billingCustomer(ctx context.Context, s *tenantConn, c qbo.Customer) (string, error) {
	for _, m := range customerMarkerRE.FindAllStringSubmatch(c.Notes, -1) {
		if m[1] != "" && m[1] != s.tenant {
			continue
		}
		l, err := im.Store.Link(ctx, s.tenant, billing.KindCustomer, m[2])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if l.QBOID == c.ID && l.RealmID == s.conn.RealmID {
			return m[2], nil
		}
	}
	return "", nil
}

// decimal rewrites a QuickBooks amount ("40", "40.5") exactly in the
// currency's digits ("40.00", "40.50"), through minor units.
func decimal(n json.Number, currency string) (string, error) {
	if n == "" {
		return "", nil
	}
	v, err := money.Parse(n.String(), currency)
	if err == nil {
		var s string
		if s, err = money.Format(v, currency); err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("amount %s %s: %w", n.String(), currency, err)
}
