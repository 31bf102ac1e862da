package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// Reconciliation is the last comparison of a tenant's billing with its
// QuickBooks company. Amounts are exact decimal text in the currency of
// the row; the JSON names are the admin API's.
type Reconciliation struct {
	AsOf      time.Time        `json:"as_of"`
	Customers []CustomerRecon  `json:"customers"`
	Totals    []KindTotal      `json:"totals"`
	Drift     []Drift          `json:"drift"`
	Watermark time.Time        `json:"-"`
	Requests  int              `json:"-"`
	Realm     string           `json:"-"`
	Extra     ReconciliationIO `json:"-"`
}

// ReconciliationIO says what the last run read, for operators.
type ReconciliationIO struct {
	FullRead bool `json:"full_read"`
	Changed  int  `json:"changed"`
}

// CustomerRecon is one customer's receivables on both sides.
type CustomerRecon struct {
	CustomerID       string `json:"customer_id"`
	QBOID            string `json:"qbo_id"`
	Currency         string `json:"currency"`
	BillingOpenAR    string `json:"billing_open_ar"`
	QBOOpenAR        string `json:"qbo_open_ar"`
	BillingUnapplied string `json:"billing_unapplied"`
	QBOUnapplied     string `json:"qbo_unapplied"`
	Status           string `json:"status"` // matched, mismatched
}

// KindTotal is one kind's count and money on both sides, in one currency.
type KindTotal struct {
	Kind          billing.Kind `json:"kind"`
	Currency      string       `json:"currency,omitempty"`
	BillingCount  int          `json:"billing_count"`
	QBOCount      int          `json:"qbo_count"`
	BillingAmount string       `json:"billing_amount"`
	QBOAmount     string       `json:"qbo_amount"`
}

// Drift is one field of a QBO object that no longer says what billing
// says, because someone changed QuickBooks after the sync wrote it.
type Drift struct {
	Kind       billing.Kind `json:"kind"`
	ID         string       `json:"id"`
	QBOID      string       `json:"qbo_id"`
	Field      string       `json:"field"`
	Billing    string       `json:"billing"`
	QuickBooks string       `json:"quickbooks"`
	DetectedAt time.Time    `json:"detected_at"`
}

type reconItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	// Report is the JSON gzipped: a tenant with thousands of customers
	// still fits DynamoDB's 400 KB item.
	Report    []byte    `dynamodbav:"report"`
	Watermark time.Time `dynamodbav:"watermark"`
	Realm     string    `dynamodbav:"realm_id"`
	Requests  int       `dynamodbav:"requests"`
	IO        string    `dynamodbav:"io"`
}

const reconSK = "RECON"

// SaveReconciliation replaces the tenant's last reconciliation.
func (s *Store) SaveReconciliation(ctx context.Context, tenant string, r Reconciliation) error {
	report, err := gzipJSON(r)
	if err != nil {
		return fmt.Errorf("encode reconciliation: %w", err)
	}
	io, _ := json.Marshal(r.Extra)
	it := reconItem{PK: tenantPK(tenant), SK: reconSK, Report: report, Watermark: r.Watermark.UTC(),
		Realm: r.Realm, Requests: r.Requests, IO: string(io)}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("save reconciliation of %s: %w", tenant, err)
	}
	return nil
}

// Reconciliation loads the tenant's last reconciliation; ErrNotFound when
// none ran yet.
func (s *Store) Reconciliation(ctx context.Context, tenant string) (Reconciliation, error) {
	var it reconItem
	if err := s.get(ctx, tenantPK(tenant), reconSK, &it); err != nil {
		return Reconciliation{}, err
	}
	var r Reconciliation
	if err := gunzipJSON(it.Report, &r); err != nil {
		return Reconciliation{}, fmt.Errorf("decode reconciliation of %s: %w", tenant, err)
	}
	_ = json.Unmarshal([]byte(it.IO), &r.Extra)
	r.Watermark, r.Realm, r.Requests = it.Watermark, it.Realm, it.Requests
	return r, nil
}

func gzipJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gunzipJSON(b []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer zr.Close()
	return json.NewDecoder(zr).Decode(v)
}

// Links lists every link of the tenant.
func (s *Store) Links(ctx context.Context, tenant string) ([]Link, error) {
	var out []Link
	err := s.queryPrefix(ctx, tenantPK(tenant), "L#", func(av map[string]types.AttributeValue) error {
		var it linkItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("decode link: %w", err)
		}
		if it.Rev == 0 {
			return nil // dependents' counters of a link not made yet
		}
		out = append(out, it.link(tenant))
		return nil
	})
	return out, err
}

// MarkDrifted moves a synced (or already drifted) entity to drifted with w
// saying what differs. An entity in any other status is left as it is
// (ErrWrongStatus): a pending sync or an admin's dismissal decides it.
func (s *Store) MarkDrifted(ctx context.Context, tenant string, kind billing.Kind, id string, w Warning) error {
	wv, err := attributevalue.Marshal(w)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	err = s.transition(ctx, tenant, kind, id, false, func(cur *entityItem) (change, error) {
		if cur == nil {
			return change{}, ErrNotFound
		}
		if cur.Status != StatusSynced && cur.Status != StatusDrifted {
			return change{}, ErrWrongStatus
		}
		c := change{status: StatusDrifted}
		c.setValue("warning = :w", ":w", wv)
		if cur.Status == StatusSynced {
			h, err := s.historyPut(tenant, kind, id, HistoryEntry{At: now, Type: HistoryAdmin, Action: "drift detected",
				By: "reconciliation", Status: StatusDrifted, Version: cur.Version, Warning: &w})
			if err != nil {
				return change{}, err
			}
			c.extra = append(c.extra, h)
		}
		return c, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrWrongStatus) {
		return fmt.Errorf("mark %s/%s drifted: %w", kind, id, err)
	}
	return err
}

// ClearDrift puts a drifted entity back to synced once QuickBooks agrees
// with billing again.
func (s *Store) ClearDrift(ctx context.Context, tenant string, kind billing.Kind, id string) error {
	now := s.now().UTC()
	err := s.transition(ctx, tenant, kind, id, false, func(cur *entityItem) (change, error) {
		if cur == nil || cur.Status != StatusDrifted {
			return change{}, ErrWrongStatus
		}
		h, err := s.historyPut(tenant, kind, id, HistoryEntry{At: now, Type: HistoryAdmin, Action: "drift resolved",
			By: "reconciliation", Status: StatusSynced, Version: cur.Version})
		if err != nil {
			return change{}, err
		}
		return change{status: StatusSynced, remove: []string{"warning"}, extra: []types.TransactWriteItem{h}}, nil
	})
	if err != nil && !errors.Is(err, ErrWrongStatus) {
		return fmt.Errorf("clear drift of %s/%s: %w", kind, id, err)
	}
	return err
}

// AcceptDrift records an admin's decision that QuickBooks' version stands:
// the drifted entity is dismissed with the reason, audited.
func (s *Store) AcceptDrift(ctx context.Context, tenant string, kind billing.Kind, id string, d Dismissal) error {
	d.At = s.now().UTC()
	dv, err := attributevalue.Marshal(d)
	if err != nil {
		return err
	}
	return s.adminTransition(ctx, tenant, kind, id, "accept_quickbooks", d.By, d.Reason, true, func(cur *entityItem) (change, error) {
		if cur.Status != StatusDrifted {
			return change{}, ErrWrongStatus
		}
		c := change{status: StatusDismissed}
		c.setValue("dismissal = :d", ":d", dv)
		return c, nil
	})
}
