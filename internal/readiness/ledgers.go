package readiness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// ledgerRule says which QBO account types a ledger setting may name.
type ledgerRule struct {
	name  string
	id    func(store.Settings) string
	types []string // AccountType values that work
}

var ledgerRules = []ledgerRule{
	{"revenue ledger", func(s store.Settings) string { return s.RevenueAccountID }, []string{"Income", "Other Income", "Other Current Liability"}},
	{"deposit ledger", func(s store.Settings) string { return s.DepositAccountID }, []string{"Bank", "Other Current Asset"}},
	{"refund ledger", func(s store.Settings) string { return s.RefundAccountID }, []string{"Bank", "Other Current Asset", "Credit Card"}},
	{"discount ledger", func(s store.Settings) string { return s.DiscountAccountID }, []string{"Income", "Other Income", "Expense", "Other Expense"}},
	{"bad-debt ledger", func(s store.Settings) string { return s.BadDebtAccountID }, []string{"Expense", "Other Expense"}},
	{"accounts receivable", func(s store.Settings) string { return s.ARAccountID }, []string{"Accounts Receivable"}},
}

// ledgers checks every chosen ledger account exists, is active and has a
// type the sync can post to. Unset ledgers are chosen on the first sync.
func ledgers(in Inputs) []store.ReadinessCheck {
	byID := make(map[string]qbo.Account, len(in.Accounts))
	for _, a := range in.Accounts {
		byID[a.ID] = a
	}
	var problems, unset []string
	for _, r := range ledgerRules {
		id := r.id(in.Settings)
		if id == "" {
			unset = append(unset, r.name)
			continue
		}
		a, ok := byID[id]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("the %s names account %s, which does not exist", r.name, id))
		case a.Active != nil && !*a.Active:
			problems = append(problems, fmt.Sprintf("the %s names account %q (%s), which is inactive", r.name, a.Name, id))
		case !slices.Contains(r.types, a.AccountType):
			problems = append(problems, fmt.Sprintf("the %s names account %q (%s) of type %s; it must be %s",
				r.name, a.Name, id, a.AccountType, strings.Join(r.types, " or ")))
		}
	}
	if len(problems) > 0 {
		return []store.ReadinessCheck{check("ledger_accounts", store.LevelBlocking, "%s. Choose other accounts in settings.", capitalize(strings.Join(problems, "; ")))}
	}
	if len(unset) > 0 {
		return []store.ReadinessCheck{check("ledger_accounts", store.LevelOK,
			"The chosen ledgers fit; QuickBooks' default accounts are used for the %s.", strings.Join(unset, ", "))}
	}
	return []store.ReadinessCheck{check("ledger_accounts", store.LevelOK, "Every chosen ledger account exists and has a fitting type.")}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
