package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// entities are the QuickBooks objects that carry money the sync writes.
var entities = []string{"Invoice", "Payment", "CreditMemo", "JournalEntry"}

// txn is the part of a QuickBooks transaction reconciliation compares,
// whichever entity it is.
type txn struct {
	ID              string      `json:"Id"`
	SyncToken       string      `json:"SyncToken"`
	Status          string      `json:"status"` // "Deleted" on CDC stubs
	DocNumber       string      `json:"DocNumber"`
	TxnDate         string      `json:"TxnDate"`
	PrivateNote     string      `json:"PrivateNote"`
	CustomerRef     *qbo.Ref    `json:"CustomerRef"`
	CurrencyRef     *qbo.Ref    `json:"CurrencyRef"`
	TotalAmt        json.Number `json:"TotalAmt"`
	Balance         json.Number `json:"Balance"`
	UnappliedAmt    json.Number `json:"UnappliedAmt"`
	RemainingCredit json.Number `json:"RemainingCredit"`
	Line            []qbo.Line  `json:"Line"`
}

// Identity returns the transaction's Id and SyncToken.
func (t txn) Identity() (id, syncToken string) { return t.ID, t.SyncToken }

type invoiceRow struct{ txn }
type paymentRow struct{ txn }
type creditMemoRow struct{ txn }
type journalRow struct{ txn }

func (invoiceRow) EntityName() string    { return "Invoice" }
func (paymentRow) EntityName() string    { return "Payment" }
func (creditMemoRow) EntityName() string { return "CreditMemo" }
func (journalRow) EntityName() string    { return "JournalEntry" }

// readAll pages through every object of the money entities: the first
// run, or the first after CDC's 30-day window passed.
func readAll(ctx context.Context, api *qbo.Client, realm string) (map[string][]txn, error) {
	out := map[string][]txn{}
	var err error
	if out["Invoice"], err = queryAll[invoiceRow](ctx, api, realm); err != nil {
		return nil, err
	}
	if out["Payment"], err = queryAll[paymentRow](ctx, api, realm); err != nil {
		return nil, err
	}
	if out["CreditMemo"], err = queryAll[creditMemoRow](ctx, api, realm); err != nil {
		return nil, err
	}
	if out["JournalEntry"], err = queryAll[journalRow](ctx, api, realm); err != nil {
		return nil, err
	}
	return out, nil
}

func queryAll[T interface {
	qbo.Entity
	row() txn
}](ctx context.Context, api *qbo.Client, realm string) ([]txn, error) {
	var v T
	rows, err := qbo.QueryAll[T](ctx, api, realm, "select * from "+v.EntityName()+" orderby Id")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", v.EntityName(), err)
	}
	out := make([]txn, len(rows))
	for i, r := range rows {
		out[i] = r.row()
	}
	return out, nil
}

func (t txn) row() txn { return t }

// readChanges asks CDC for what changed since the watermark, following on
// while answers come back full. It returns the changes and the new
// watermark.
func readChanges(ctx context.Context, api *qbo.Client, realm string, since time.Time) (map[string][]txn, int, error) {
	out := map[string][]txn{}
	calls := 0
	for {
		ch, err := api.CDC(ctx, realm, entities, since)
		calls++
		if err != nil {
			return nil, calls, fmt.Errorf("read changes since %s: %w", since.Format(time.RFC3339), err)
		}
		latest := since
		for name, objs := range ch {
			for _, raw := range objs {
				var t struct {
					txn
					MetaData *qbo.MetaData `json:"MetaData"`
				}
				if err := json.Unmarshal(raw, &t); err != nil {
					return nil, calls, fmt.Errorf("decode changed %s: %w", name, err)
				}
				out[name] = append(out[name], t.txn)
				if t.MetaData != nil && t.MetaData.LastUpdatedTime.After(latest) {
					latest = t.MetaData.LastUpdatedTime
				}
			}
		}
		if ch.Len() < qbo.MaxCDCObjects || !latest.After(since) {
			return out, calls, nil
		}
		since = latest
	}
}

var markerRE = regexp.MustCompile(`\[billing ([a-z_]+) ([A-Za-z0-9._:-]+)\]( application)?`)

// object turns a transaction as read into what the store keeps. prev is
// the object as last read: a voided transaction has lost its memo, and
// with it its marker. home is the currency of amounts without CurrencyRef.
func object(entity string, t txn, prev store.QBOObject, home string) (store.QBOObject, error) {
	o := store.QBOObject{Entity: entity, QBOID: t.ID, SyncToken: t.SyncToken, DocNumber: t.DocNumber,
		TxnDate: t.TxnDate, State: store.QBOActive, Currency: home, Marker: prev.Marker, CustomerID: prev.CustomerID}
	if t.CurrencyRef != nil && t.CurrencyRef.Value != "" {
		o.Currency = t.CurrencyRef.Value
	} else if prev.Currency != "" {
		o.Currency = prev.Currency
	}
	if t.CustomerRef != nil {
		o.CustomerID = t.CustomerRef.Value
	}
	if m := markerRE.FindStringSubmatch(t.PrivateNote); m != nil {
		o.Marker = m[1] + " " + m[2] + m[3]
	}
	switch {
	case t.Status == "Deleted":
		o.State = store.QBODeleted
		return o, nil
	case t.PrivateNote == "Voided":
		o.State = store.QBOVoided
	}
	var err error
	amt := func(n json.Number) int64 {
		if n == "" || err != nil {
			return 0
		}
		v, e := money.Parse(n.String(), o.Currency)
		if e != nil {
			err = fmt.Errorf("%s %s: %w", entity, t.ID, e)
		}
		return v
	}
	o.Total, o.Balance = amt(t.TotalAmt), amt(t.Balance)
	o.Open = amt(t.UnappliedAmt) + amt(t.RemainingCredit)
	for _, l := range t.Line {
		if entity == "Invoice" && l.DetailType == qbo.SalesItemLine {
			o.Lines = append(o.Lines, amt(l.Amount))
		}
		for _, lt := range l.LinkedTxn {
			if lt.TxnType == "Invoice" || lt.TxnType == "CreditMemo" {
				o.Applied = append(o.Applied, store.Applied{TxnType: lt.TxnType, TxnID: lt.TxnID, Amount: amt(l.Amount)})
			}
		}
	}
	return o, err
}
