package syncer

import (
	"context"
	"fmt"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// defaultItemName is the QBO item of invoice lines without a product.
const defaultItemName = "Billing item"

// ledgerDefault says which QBO account a ledger setting defaults to.
type ledgerDefault struct {
	name     string
	field    func(*store.Settings) *string
	subTypes []string // AccountSubType, in order of preference
	types    []string // AccountType fallbacks
}

var ledgerDefaults = []ledgerDefault{
	{"revenue ledger", func(s *store.Settings) *string { return &s.RevenueAccountID }, []string{"DeferredRevenue"}, []string{"Income"}},
	{"deposit ledger", func(s *store.Settings) *string { return &s.DepositAccountID }, []string{"UndepositedFunds"}, []string{"Bank"}},
	{"refund ledger", func(s *store.Settings) *string { return &s.RefundAccountID }, []string{"Checking"}, []string{"Bank"}},
	{"discount ledger", func(s *store.Settings) *string { return &s.DiscountAccountID }, []string{"DiscountsRefundsGiven"}, []string{"Income"}},
	{"bad-debt ledger", func(s *store.Settings) *string { return &s.BadDebtAccountID }, []string{"BadDebts"}, []string{"Expense"}},
}

// ensureDefaults fills unset ledgers with the company's default accounts
// and makes sure the default item exists, once per tenant.
func (r *run) ensureDefaults(ctx context.Context) error {
	s := r.tenant.Settings
	changed := false
	if missingLedger(s) {
		accounts, err := qbo.QueryAll[qbo.Account](ctx, r.qbo, r.conn.RealmID, "select * from Account where Active = true")
		if err != nil {
			return fmt.Errorf("read chart of accounts: %w", err)
		}
		for _, d := range ledgerDefaults {
			if *d.field(&s) != "" {
				continue
			}
			id := pickAccount(accounts, d)
			if id == "" {
				return &PermanentError{Reason: fmt.Sprintf("QuickBooks has no account for the %s (%v); choose one in settings, then resend", d.name, append(d.subTypes, d.types...))}
			}
			*d.field(&s), changed = id, true
		}
	}
	if s.TaxMode == "" {
		s.TaxMode, changed = store.TaxUSOverride, true
	}
	if s.CustomerMode == "" {
		s.CustomerMode, changed = "auto", true
	}
	if s.DefaultItemID == "" {
		id, err := r.defaultItem(ctx, s.RevenueAccountID)
		if err != nil {
			return err
		}
		s.DefaultItemID, changed = id, true
	}
	if !changed {
		return nil
	}
	if err := r.e.cfg.Store.SaveSettings(ctx, r.st.Tenant, s); err != nil {
		return fmt.Errorf("save default settings: %w", err)
	}
	r.tenant.Settings = s
	return nil
}

func missingLedger(s store.Settings) bool {
	for _, d := range ledgerDefaults {
		if *d.field(&s) == "" {
			return true
		}
	}
	return false
}

func pickAccount(accounts []qbo.Account, d ledgerDefault) string {
	for _, st := range d.subTypes {
		for _, a := range accounts {
			if a.AccountSubType == st {
				return a.ID
			}
		}
	}
	for _, t := range d.types {
		for _, a := range accounts {
			if a.AccountType == t {
				return a.ID
			}
		}
	}
	return ""
}

// defaultItem finds or creates the default item, at most once: its
// requestid is fixed per tenant and realm.
func (r *run) defaultItem(ctx context.Context, revenueAccountID string) (string, error) {
	found, ok, err := findOne[qbo.Item](ctx, r, "select * from Item where Name = "+qbo.Quote(defaultItemName)+" and Active in (true, false)")
	if err != nil || ok {
		return found.ID, err
	}
	item := qbo.Item{Name: defaultItemName, Type: "Service", IncomeAccountRef: ref(revenueAccountID),
		Description: "Billing lines without a product"}
	created, err := qbo.Create(ctx, r.qbo, r.conn.RealmID, item, requestID(r.st.Tenant, r.conn.RealmID, "default-item"))
	if err != nil {
		return "", fmt.Errorf("create default item: %w", err)
	}
	return created.ID, nil
}
