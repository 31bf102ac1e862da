package readiness

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// Store is what the checker reads and writes.
type Store interface {
	Tenant(ctx context.Context, id string) (store.Tenant, error)
	Entities(ctx context.Context, tenant string, kind billing.Kind) ([]store.EntityState, error)
	SaveReadiness(ctx context.Context, tenant string, r store.Readiness) error
}

// Checker reads a company's settings from QBO and stores the report.
type Checker struct {
	store   Store
	baseURL string
	hc      *http.Client
	now     func() time.Time
}

// New returns a Checker calling the Accounting API at baseURL through hc.
func New(s Store, baseURL string, hc *http.Client, now func() time.Time) *Checker {
	if hc == nil {
		hc = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	return &Checker{store: s, baseURL: baseURL, hc: hc, now: now}
}

// Check reads conn's company with conn's access token, evaluates it
// against the tenant's settings and billing data, stores the report and
// returns it.
func (c *Checker) Check(ctx context.Context, conn store.Connection) (store.Readiness, error) {
	in, err := c.inputs(ctx, conn)
	if err != nil {
		return store.Readiness{}, fmt.Errorf("readiness of %s: %w", conn.Tenant, err)
	}
	r := store.Readiness{RealmID: conn.RealmID, CompanyName: in.Info.CompanyName, CheckedAt: c.now().UTC(), Checks: Evaluate(in)}
	if err := c.store.SaveReadiness(ctx, conn.Tenant, r); err != nil {
		return store.Readiness{}, err
	}
	return r, nil
}

func (c *Checker) inputs(ctx context.Context, conn store.Connection) (Inputs, error) {
	api := qbo.New(qbo.WithToken(c.hc, conn.AccessToken), c.baseURL)
	var in Inputs
	var err error
	if in.Prefs, err = api.Preferences(ctx, conn.RealmID); err != nil {
		return in, fmt.Errorf("read preferences: %w", err)
	}
	if in.Info, err = api.CompanyInfo(ctx, conn.RealmID); err != nil {
		return in, fmt.Errorf("read company info: %w", err)
	}
	if in.Accounts, err = qbo.QueryAll[qbo.Account](ctx, api, conn.RealmID, "select * from Account"); err != nil {
		return in, fmt.Errorf("read accounts: %w", err)
	}
	if in.TaxCodes, err = qbo.QueryAll[qbo.TaxCode](ctx, api, conn.RealmID, "select * from TaxCode"); err != nil {
		return in, fmt.Errorf("read tax codes: %w", err)
	}
	t, err := c.store.Tenant(ctx, conn.Tenant)
	if err != nil {
		return in, err
	}
	in.Settings = t.Settings
	customers, err := c.store.Entities(ctx, conn.Tenant, billing.KindCustomer)
	if err != nil {
		return in, err
	}
	in.CustomerCurrencies = map[string]int{}
	for _, e := range customers {
		ent, err := billing.Decode(billing.KindCustomer, e.Data)
		if err != nil || ent.EntityCurrency() == "" {
			continue // an unreadable snapshot gets its own warning when it syncs
		}
		in.CustomerCurrencies[ent.EntityCurrency()]++
	}
	return in, nil
}
