package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/throttle"
)

// Ledger is a settings field holding a QuickBooks account, and the account
// types QuickBooks accepts for what is posted to it.
type Ledger struct {
	Field string   `json:"field"`
	Label string   `json:"label"`
	Types []string `json:"types"`
	// Allowed says in words what Types allow, for messages.
	Allowed string `json:"allowed"`
	get     func(*store.Settings) *string
}

// Ledgers are the account settings, in the order the page shows them.
var Ledgers = []Ledger{
	{Field: "revenue_account_id", Label: "Revenue ledger", Types: []string{"Other Current Liability", "Income"},
		Allowed: "Other Current Liability (Deferred Revenue) or Income", get: func(s *store.Settings) *string { return &s.RevenueAccountID }},
	{Field: "deposit_account_id", Label: "Deposit ledger (payments received)", Types: []string{"Other Current Asset", "Bank"},
		Allowed: "Other Current Asset (Undeposited Funds) or Bank", get: func(s *store.Settings) *string { return &s.DepositAccountID }},
	{Field: "refund_account_id", Label: "Refund ledger (refunds paid from)", Types: []string{"Bank", "Other Current Asset", "Credit Card"},
		Allowed: "Bank, Other Current Asset or Credit Card", get: func(s *store.Settings) *string { return &s.RefundAccountID }},
	{Field: "discount_account_id", Label: "Discount ledger", Types: []string{"Income", "Expense", "Other Income", "Other Expense"},
		Allowed: "Income (Discounts/Refunds Given) or Expense", get: func(s *store.Settings) *string { return &s.DiscountAccountID }},
	{Field: "bad_debt_account_id", Label: "Bad-debt ledger (write-offs)", Types: []string{"Expense", "Other Expense"},
		Allowed: "Expense (Bad Debts) or Other Expense", get: func(s *store.Settings) *string { return &s.BadDebtAccountID }},
	{Field: "ar_account_id", Label: "Accounts receivable", Types: []string{"Accounts Receivable"},
		Allowed: "Accounts Receivable", get: func(s *store.Settings) *string { return &s.ARAccountID }},
}

// ValidateLedgers checks that every ledger set in s names an active
// account of an allowed type among accounts (the company's chart of
// accounts). Each problem names the field and the wrong account.
func ValidateLedgers(s store.Settings, accounts []qbo.Account) []apijson.Problem {
	byID := map[string]qbo.Account{}
	for _, a := range accounts {
		byID[a.ID] = a
	}
	var out []apijson.Problem
	for _, l := range Ledgers {
		id := *l.get(&s)
		if id == "" {
			continue
		}
		a, ok := byID[id]
		switch {
		case !ok:
			out = append(out, apijson.Problem{Field: l.Field, Message: fmt.Sprintf("%s: account %s does not exist in QuickBooks", l.Field, id)})
		case a.Active != nil && !*a.Active:
			out = append(out, apijson.Problem{Field: l.Field, Message: fmt.Sprintf("%s: account %s %q is inactive in QuickBooks", l.Field, id, a.Name)})
		case !slices.Contains(l.Types, a.AccountType):
			out = append(out, apijson.Problem{Field: l.Field, Message: fmt.Sprintf("%s: account %s %q is %s %s account; the %s must be %s",
				l.Field, id, a.Name, article(a.AccountType), a.AccountType, strings.ToLower(strings.Split(l.Label, " (")[0]), l.Allowed)})
		}
	}
	return out
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}

// validateChoices checks the settings that are not accounts.
func validateChoices(s store.Settings) []apijson.Problem {
	var out []apijson.Problem
	oneOf := func(field, v string, allowed ...string) {
		if v != "" && !slices.Contains(allowed, v) {
			out = append(out, apijson.Problem{Field: field, Message: fmt.Sprintf("%s must be one of %s", field, strings.Join(allowed, ", "))})
		}
	}
	oneOf("tax_mode", s.TaxMode, store.TaxUSOverride, store.TaxCodes, store.TaxNone)
	oneOf("customer_mode", s.CustomerMode, "auto", "manual")
	oneOf("closed_books", s.ClosedBooks, store.ClosedPostOpen, store.ClosedHold)
	oneOf("payments_direction", s.PaymentsDirection, store.PaymentsToQuickBooks, store.PaymentsFromQuickBooks)
	if s.SyncFrom != "" {
		if _, err := time.Parse(time.DateOnly, s.SyncFrom); err != nil {
			out = append(out, apijson.Problem{Field: "sync_from", Message: "sync_from must be a date (YYYY-MM-DD)"})
		}
	}
	return out
}

type accountView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	SubType string `json:"subtype,omitempty"`
}

type ledgerView struct {
	Ledger
	Value    string        `json:"value"`
	Accounts []accountView `json:"accounts"`
}

type settingsView struct {
	Settings store.Settings `json:"settings"`
	Ledgers  []ledgerView   `json:"ledgers"`
	// AccountsError says why the account lists are empty (not connected).
	AccountsError string `json:"accounts_error,omitempty"`
}

func (h *Handler) settings(c *call) {
	t, err := h.cfg.Store.Tenant(c.ctx(), c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	v := settingsView{Settings: t.Settings}
	accounts, err := h.accounts(c)
	if err != nil {
		v.AccountsError = connectionProblem(err)
	}
	for _, l := range Ledgers {
		lv := ledgerView{Ledger: l, Value: *l.get(&t.Settings), Accounts: []accountView{}}
		for _, a := range accounts {
			if slices.Contains(l.Types, a.AccountType) && (a.Active == nil || *a.Active) {
				lv.Accounts = append(lv.Accounts, accountView{ID: a.ID, Name: a.Name, Type: a.AccountType, SubType: a.AccountSubType})
			}
		}
		v.Ledgers = append(v.Ledgers, lv)
	}
	apijson.WriteJSON(c.w, http.StatusOK, v)
}

func (h *Handler) accounts(c *call) ([]qbo.Account, error) {
	client, conn, err := h.qboClient(c.ctx(), c.tenant)
	if err != nil {
		return nil, err
	}
	return qbo.QueryAll[qbo.Account](c.ctx(), client, conn.RealmID, "select * from Account where Active in (true, false) orderby Id")
}

// saveSettings merges the fields sent over the stored settings, validates
// the result (ledgers against the live chart of accounts) and saves it.
func (h *Handler) saveSettings(c *call) {
	t, err := h.cfg.Store.Tenant(c.ctx(), c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	if err != nil {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: "the settings body is too large"})
		return
	}
	next := t.Settings
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&next); err != nil {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadRequest, Code: "bad_request",
			Message: "invalid settings: " + err.Error()})
		return
	}
	problems := validateChoices(next)
	if ledgersChanged(t.Settings, next) {
		accounts, err := h.accounts(c)
		if err != nil {
			apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "not_connected",
				Message: "ledgers are checked against QuickBooks: " + connectionProblem(err)})
			return
		}
		problems = append(problems, ValidateLedgers(next, accounts)...)
	}
	if len(problems) > 0 {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusUnprocessableEntity, Code: "invalid_settings",
			Message: problems[0].Message, Problems: problems})
		return
	}
	reason, err := h.directionGuard(c.ctx(), c.tenant, t.Settings, next)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if reason != "" {
		msg := "payments_direction cannot change: " + reason
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "payments_direction_unsafe", Message: msg,
			Problems: []apijson.Problem{{Field: "payments_direction", Message: msg}}})
		return
	}
	if err := h.cfg.Store.SaveSettings(c.ctx(), c.tenant, next, t.SettingsRev); err != nil {
		if errors.Is(err, store.ErrConflict) {
			apijson.WriteError(c.w, &apijson.Error{Status: http.StatusConflict, Code: "conflict",
				Message: "the settings changed while these were being saved; nothing was saved: reload them and save again"})
			return
		}
		c.fail(h.cfg.Log, err)
		return
	}
	if err := h.startImports(c.ctx(), c.tenant, t.Settings, next); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	if err := h.cfg.Store.Audit(c.ctx(), c.tenant, store.AuditEntry{By: c.claims.Subject, Action: "settings",
		Detail: changedFields(t.Settings, next)}); err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	apijson.WriteJSON(c.w, http.StatusOK, map[string]any{"settings": next})
}

func ledgersChanged(a, b store.Settings) bool {
	for _, l := range Ledgers {
		if *l.get(&a) != *l.get(&b) {
			return true
		}
	}
	return false
}

// changedFields names the settings that differ, for the audit log.
func changedFields(a, b store.Settings) string {
	var am, bm map[string]any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	_ = json.Unmarshal(ja, &am)
	_ = json.Unmarshal(jb, &bm)
	var changed []string
	for k := range bm {
		x, _ := json.Marshal(am[k])
		y, _ := json.Marshal(bm[k])
		if !bytes.Equal(x, y) {
			changed = append(changed, k)
		}
	}
	for k := range am {
		if _, ok := bm[k]; !ok {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	if len(changed) == 0 {
		return "no change"
	}
	return "changed " + strings.Join(changed, ", ")
}

// connectionProblem says in a sentence why QuickBooks could not be asked.
func connectionProblem(err error) string {
	var qe *qbo.Error
	var te *throttle.Error
	switch {
	case errors.Is(err, errNotConnected):
		return "QuickBooks is not connected"
	case errors.As(err, &te):
		return "QuickBooks' request limit for this company is used up by the sync; try again after " +
			te.Until.UTC().Format("15:04:05 UTC")
	case errors.As(err, &qe):
		return "QuickBooks answered: " + qe.Error()
	}
	return "QuickBooks could not be reached"
}

// qboFailed answers a QBO call that failed: 503 with Retry-After while
// the company's request budget is spent, 502 otherwise.
func (h *Handler) qboFailed(c *call, err error) {
	var te *throttle.Error
	if errors.As(err, &te) {
		wait := te.Until.Sub(h.cfg.Now()).Round(time.Second)
		c.w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()))))
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusServiceUnavailable, Code: "quickbooks_busy",
			Message: connectionProblem(err)})
		return
	}
	apijson.WriteError(c.w, &apijson.Error{Status: http.StatusBadGateway, Code: "quickbooks_error",
		Message: connectionProblem(err)})
}
