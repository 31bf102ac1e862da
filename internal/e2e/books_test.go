package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// qboBooks is what one tenant's QuickBooks company holds, read the way an
// accountant's tools read it: every object over the Accounting API and
// the books from the simulator's ledger view.
type qboBooks struct {
	objects map[string][]map[string]any // by entity: Customer, Invoice, ...
	ledger  booksLedger
}

// booksLedger is the simulator's ledger view (docs/qbosim.md).
type booksLedger struct {
	Customers []struct {
		ID                string `json:"id"`
		OpenAR            string `json:"open_ar"`
		OpenInvoices      string `json:"open_invoices"`
		UnappliedPayments string `json:"unapplied_payments"`
		RemainingCredits  string `json:"remaining_credits"`
		JournalCharges    string `json:"journal_charges"`
		JournalCredits    string `json:"journal_credits"`
	} `json:"customers"`
	Accounts []struct {
		SubType string `json:"subtype"`
		Balance string `json:"balance"`
	} `json:"accounts"`
	Balanced bool `json:"balanced"`
}

var booksEntities = []string{"Customer", "Item", "Invoice", "Payment", "CreditMemo", "JournalEntry", "SalesReceipt", "RefundReceipt"}

// readBooks reads every object of the kinds the sync writes, page by
// page, and the ledger view.
func (e *tenantEnv) readBooks() qboBooks {
	e.t.Helper()
	// Fault rules that never matched would answer the checker's reads.
	e.control(http.MethodDelete, "faults", nil)
	b := qboBooks{objects: map[string][]map[string]any{}}
	for _, entity := range booksEntities {
		where := ""
		if entity == "Customer" || entity == "Item" {
			where = " where Active in (true, false)"
		}
		for start := 1; ; start += 1000 {
			page := e.objects(entity, fmt.Sprintf("select * from %s%s startposition %d maxresults 1000", entity, where, start))
			b.objects[entity] = append(b.objects[entity], page...)
			if len(page) < 1000 {
				break
			}
		}
	}
	status, body, err := e.simControl(http.MethodGet, "/ledger", nil)
	if err != nil || status != http.StatusOK {
		e.t.Fatalf("ledger view: %d %s %v", status, body, err)
	}
	if err := json.Unmarshal(body, &b.ledger); err != nil {
		e.t.Fatalf("ledger view: %v", err)
	}
	return b
}

var markerPattern = regexp.MustCompile(`\[billing (?:[a-z0-9_-]+/)?([a-z_]+) ([^\]\s]+)\]( application)?`)

// markerOf returns the billing marker an object carries ("invoice inv_1",
// "credit cr_2 application"), or "".
func markerOf(obj map[string]any) string {
	note := str(obj["PrivateNote"]) + str(obj["Notes"])
	m := markerPattern.FindStringSubmatch(note)
	if m == nil {
		return ""
	}
	return m[1] + " " + m[2] + m[3]
}

// voided reports a transaction QBO voided: every amount 0 and the memo
// replaced.
func voided(obj map[string]any) bool {
	return str(obj["PrivateNote"]) == "Voided"
}

// minor reads a QBO amount ("108.25", "-5", "0.5") as minor units.
func minor(v any) (int64, error) {
	s := str(v)
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("amount %q has more than two decimals", str(v))
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", str(v), err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", str(v), err)
	}
	n := w*100 + f
	if neg {
		n = -n
	}
	return n, nil
}

// cents formats minor units like QBO does, for messages.
func cents(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// findings collects what the invariant check found, by category; scope
// (the tenant being checked) prefixes each finding.
type findings struct {
	byCategory map[string][]string
	scope      string
}

func (f *findings) add(category, format string, args ...any) {
	if f.byCategory == nil {
		f.byCategory = map[string][]string{}
	}
	msg := fmt.Sprintf(format, args...)
	if f.scope != "" {
		msg = f.scope + ": " + msg
	}
	f.byCategory[category] = append(f.byCategory[category], msg)
}

func (f *findings) count(category string) int { return len(f.byCategory[category]) }

// amountIs compares a QBO amount with billing's minor units.
func (f *findings) amountIs(what string, got any, want int64) {
	n, err := minor(got)
	if err != nil {
		f.add("mismatch", "%s: %v", what, err)
		return
	}
	if n != want {
		f.add("mismatch", "%s: QuickBooks %s, billing %s", what, cents(n), cents(want))
	}
}
