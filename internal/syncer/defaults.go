package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// Names of the QBO items the engine creates: lines without a product, and
// write-offs (its account is the bad-debt ledger).
const (
	defaultItemName = "Billing item"
	badDebtItemName = "Bad debt"
)

// ledgerDefault says which QBO account a ledger setting defaults to.
type ledgerDefault struct {
	name     string
	field    func(*record.Settings) *string
	subTypes []string // AccountSubType, in order of preference
	types    []string // AccountType fallbacks
}

var ledgerDefaults = []ledgerDefault{
	{"revenue ledger", func(s *record.Settings) *string { return &s.RevenueAccountID }, []string{"DeferredRevenue"}, []string{"Income"}},
	{"deposit ledger", func(s *record.Settings) *string { return &s.DepositAccountID }, []string{"UndepositedFunds"}, []string{"Bank"}},
	{"refund ledger", func(s *record.Settings) *string { return &s.RefundAccountID }, []string{"Checking"}, []string{"Bank"}},
	{"discount ledger", func(s *record.Settings) *string { return &s.DiscountAccountID }, []string{"DiscountsRefundsGiven"}, []string{"Income"}},
	{"bad-debt ledger", func(s *record.Settings) *string { return &s.BadDebtAccountID }, []string{"BadDebts"}, []string{"Expense"}},
	{"accounts receivable", func(s *record.Settings) *string { return &s.ARAccountID }, []string{"AccountsReceivable"}, []string{"Accounts Receivable"}},
}

// defaultItems are the service items the engine creates when missing.
var defaultItems = []struct {
	name, description string
	field             func(*record.Settings) *string
	account           func(record.Settings) string
}{
	{defaultItemName, "Billing lines without a product", func(s *record.Settings) *string { return &s.DefaultItemID },
		func(s record.Settings) string { return s.RevenueAccountID }},
	{badDebtItemName, "Invoice balances written off as bad debt", func(s *record.Settings) *string { return &s.BadDebtItemID },
		func(s record.Settings) string { return s.BadDebtAccountID }},
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
		s.TaxMode, changed = record.TaxUSOverride, true
	}
	if s.CustomerMode == "" {
		s.CustomerMode, changed = "auto", true
	}
	for _, it := range defaultItems {
		if *it.field(&s) != "" {
			continue
		}
		id, err := r.defaultItem(ctx, it.name, it.description, it.account(s))
		if err != nil {
			return err
		}
		*it.field(&s), changed = id, true
	}
	if s.PaymentMethods == nil {
		methods, err := r.paymentMethods(ctx)
		if err != nil {
			return err
		}
		s.PaymentMethods, changed = methods, true
	}
	if !changed {
		return nil
	}
	return r.saveDefaults(ctx, s)
}

// saveDefaults saves the defaults found, conditionally on the settings'
// revision: when an admin saved meanwhile, the defaults fill only what is
// still unset in the admin's settings, and the save is tried again.
func (r *run) saveDefaults(ctx context.Context, defaults record.Settings) error {
	t := r.tenant
	for range maxSettingsTries {
		next := withDefaults(t.Settings, defaults)
		err := r.e.cfg.Store.SaveSettings(ctx, r.st.Tenant, next, t.SettingsRev)
		if err == nil {
			t.Settings, t.SettingsRev = next, t.SettingsRev+1
			r.tenant = t
			return nil
		}
		if !errors.Is(err, record.ErrConflict) {
			return fmt.Errorf("save default settings: %w", err)
		}
		if t, err = r.e.cfg.Store.Tenant(ctx, r.st.Tenant); err != nil {
			return fmt.Errorf("re-read settings: %w", err)
		}
	}
	return fmt.Errorf("save default settings: %w", record.ErrConflict)
}

const maxSettingsTries = 5

// withDefaults returns s with every field that is unset there taken from
// defaults.
func withDefaults(s, defaults record.Settings) record.Settings {
	for _, d := range ledgerDefaults {
		if *d.field(&s) == "" {
			*d.field(&s) = *d.field(&defaults)
		}
	}
	for _, it := range defaultItems {
		if *it.field(&s) == "" {
			*it.field(&s) = *it.field(&defaults)
		}
	}
	if s.TaxMode == "" {
		s.TaxMode = defaults.TaxMode
	}
	if s.CustomerMode == "" {
		s.CustomerMode = defaults.CustomerMode
	}
	if s.PaymentMethods == nil {
		s.PaymentMethods = defaults.PaymentMethods
	}
	return s
}

func missingLedger(s record.Settings) bool {
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

// defaultItem finds or creates a service item, at most once: its
// requestid is fixed per tenant, realm and name, and a create refused
// because the name now exists takes the item another sync created
// meanwhile (in a batch, where the requestid does not travel).
func (r *run) defaultItem(ctx context.Context, name, description, accountID string) (string, error) {
	stmt := "select * from Item where Name = " + qbo.Quote(name) + " and Active in (true, false)"
	found, ok, err := findOne[qbo.Item](ctx, r, stmt)
	if err != nil || ok {
		return found.ID, err
	}
	item := qbo.Item{Name: name, Type: "Service", IncomeAccountRef: ref(accountID), Description: description}
	created, err := qbo.Create(ctx, r.qbo, r.conn.RealmID, item, requestID(r.st.Tenant, r.conn.RealmID, "item", name, accountID))
	var qe *qbo.Error
	if errors.As(err, &qe) && qe.DuplicateName() {
		if found, ok, ferr := findOne[qbo.Item](ctx, r, stmt); ferr != nil || ok {
			return found.ID, ferr
		}
	}
	if err != nil {
		return "", fmt.Errorf("create item %q: %w", name, err)
	}
	return created.ID, nil
}

// paymentMethods maps billing payment methods to the company's
// PaymentMethods by name; a method with no match is sent without one.
func (r *run) paymentMethods(ctx context.Context) (map[string]string, error) {
	list, err := qbo.QueryAll[qbo.PaymentMethod](ctx, r.qbo, r.conn.RealmID, "select * from PaymentMethod")
	if err != nil {
		return nil, fmt.Errorf("read payment methods: %w", err)
	}
	names := map[string][]string{
		"card": {"credit card", "card"}, "check": {"check", "cheque"}, "cash": {"cash"},
		"ach": {"ach", "bank transfer", "eft", "direct debit"}, "other": {"other"},
	}
	out := map[string]string{}
	for method, candidates := range names {
		for _, want := range candidates {
			for _, pm := range list {
				if out[method] == "" && strings.Contains(strings.ToLower(pm.Name), want) {
					out[method] = pm.ID
				}
			}
		}
	}
	return out, nil
}
