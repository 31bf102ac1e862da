package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/devstack"
)

// simLedger is the simulator's ledger view (docs/qbosim.md).
type simLedger struct {
	Customers []struct {
		ID                string `json:"id"`
		DisplayName       string `json:"display_name"`
		OpenAR            string `json:"open_ar"`
		UnappliedPayments string `json:"unapplied_payments"`
		RemainingCredits  string `json:"remaining_credits"`
		Invoices          []struct {
			DocNumber string `json:"doc_number"`
			Balance   string `json:"balance"`
		} `json:"invoices"`
	} `json:"customers"`
	Accounts []struct {
		Name    string `json:"name"`
		SubType string `json:"subtype"`
		Balance string `json:"balance"`
	} `json:"accounts"`
	Balanced bool `json:"balanced"`
}

func (e *tenantEnv) ledger() simLedger {
	e.t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/_sim/companies/%s/ledger", e.stack.QBOURL(), e.realm))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var l simLedger
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// TestLedgerEndToEnd books every kind against one invoice and checks the
// accounting invariant in QuickBooks: the invoice balance equals billing's
// amount_due, the customer's open A/R equals billing's, cash moved by
// payments minus refunds, and the books balance.
func TestLedgerEndToEnd(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "ledger")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Ledger Customer", "l@example.com"))
	e.mustPost(http.StatusAccepted, "product.created", product("prod_1", "Plan"))
	inv := invoice("inv_1", 1, "cus_1", "L-1", "posted", line{id: "l1", product: "prod_1", qty: "1", unit: 10000})
	e.mustPost(http.StatusAccepted, "invoice.created", inv)
	// 70.00 paid, 60.00 applied: 10.00 overpaid stays as credit.
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-22", "amount": 7000, "currency": "USD", "method": "card", "reference": "ch_123",
		"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 6000}}})
	// A 25.00 credit note, 20.00 applied: 5.00 store credit.
	e.mustPost(http.StatusAccepted, "credit.created", map[string]any{"id": "cr_1", "version": 1, "customer_id": "cus_1",
		"issued_on": "2026-11-23", "amount": 2500, "currency": "USD", "reason": "Goodwill",
		"applications": []map[string]any{{"invoice_id": "inv_1", "amount": 2000}}})
	e.mustPost(http.StatusAccepted, "charge_reversal.created", map[string]any{"id": "rev_1", "version": 1, "customer_id": "cus_1",
		"invoice_id": "inv_1", "line_id": "l1", "reversed_on": "2026-11-24", "amount": 1000, "currency": "USD"})
	e.mustPost(http.StatusAccepted, "write_off.created", map[string]any{"id": "wo_1", "version": 1, "customer_id": "cus_1",
		"invoice_id": "inv_1", "written_off_on": "2026-11-25", "amount": 1000, "currency": "USD"})
	// The overpaid 10.00 goes back to the customer.
	e.mustPost(http.StatusAccepted, "refund.created", map[string]any{"id": "ref_1", "version": 1, "customer_id": "cus_1",
		"payment_id": "pay_1", "refunded_on": "2026-11-26", "amount": 1000, "currency": "USD"})
	e.drain()

	for _, k := range []struct {
		kind billing.Kind
		id   string
	}{{billing.KindPayment, "pay_1"}, {billing.KindCredit, "cr_1"}, {billing.KindChargeReversal, "rev_1"},
		{billing.KindWriteOff, "wo_1"}, {billing.KindRefund, "ref_1"}, {billing.KindInvoice, "inv_1"}} {
		if got := e.status(k.kind, k.id); got != "synced" {
			t.Errorf("%s/%s: %s, want synced", k.kind, k.id, got)
		}
	}
	l := e.ledger()
	if !l.Balanced {
		t.Error("QuickBooks books do not balance")
	}
	if len(l.Customers) != 1 {
		t.Fatalf("customers in ledger: %d", len(l.Customers))
	}
	c := l.Customers[0]
	// billing: amount_due 0; unapplied payment 70 − 60 − 10 refunded = 0; unapplied credit 5.
	if c.OpenAR != "-5.00" || c.UnappliedPayments != "0.00" || c.RemainingCredits != "5.00" {
		t.Errorf("customer A/R %s, unapplied payments %s, remaining credits %s; want -5.00, 0.00, 5.00", c.OpenAR, c.UnappliedPayments, c.RemainingCredits)
	}
	if len(c.Invoices) != 1 || c.Invoices[0].Balance != "0.00" {
		t.Errorf("invoices = %+v, want L-1 with balance 0.00 (billing amount_due 0)", c.Invoices)
	}
	cash := map[string]string{}
	for _, a := range l.Accounts {
		cash[a.SubType] = a.Balance
	}
	if cash["UndepositedFunds"] != "70.00" || cash["Checking"] != "-10.00" {
		t.Errorf("deposit ledger %s, refund ledger %s; want 70.00 in and 10.00 out", cash["UndepositedFunds"], cash["Checking"])
	}

	// Voiding the refund gives the 10.00 back to the customer's credit.
	e.mustPost(http.StatusAccepted, "refund.voided", map[string]any{"id": "ref_1", "version": 2, "customer_id": "cus_1",
		"payment_id": "pay_1", "refunded_on": "2026-11-26", "amount": 1000, "currency": "USD"})
	e.drain()
	c = e.ledger().Customers[0]
	if c.OpenAR != "-15.00" || c.UnappliedPayments != "10.00" {
		t.Errorf("after the refund's void: A/R %s, unapplied %s; want -15.00 and 10.00", c.OpenAR, c.UnappliedPayments)
	}
}

// TestAutoApplyIsUndone: QuickBooks' automation (on in a new company)
// applies a customer's open credit to a new invoice on its own; billing
// did not, so the sync undoes it.
func TestAutoApplyIsUndone(t *testing.T) {
	t.Parallel() // its own stack: table, queues, company
	e := newTenant(t, newStack(t, devstack.Options{}), "auto")
	e.mustPost(http.StatusAccepted, "customer.created", customer("cus_1", 1, "Auto Co", "a@example.com"))
	e.mustPost(http.StatusAccepted, "credit.created", map[string]any{"id": "cr_1", "version": 1, "customer_id": "cus_1",
		"issued_on": "2026-11-20", "amount": 3000, "currency": "USD", "applications": []map[string]any{}})
	e.mustPost(http.StatusAccepted, "payment.created", map[string]any{"id": "pay_1", "version": 1, "customer_id": "cus_1",
		"received_on": "2026-11-20", "amount": 2000, "currency": "USD", "method": "cash", "applications": []map[string]any{}})
	e.drain()
	e.mustPost(http.StatusAccepted, "invoice.created", invoice("inv_1", 1, "cus_1", "A-1", "posted", line{id: "l1", qty: "1", unit: 10000}))
	e.drain()
	c := e.ledger().Customers[0]
	if len(c.Invoices) != 1 || c.Invoices[0].Balance != "100.00" {
		t.Errorf("invoices %+v, want A-1 open for 100.00 (billing applied nothing)", c.Invoices)
	}
	if c.RemainingCredits != "30.00" || c.UnappliedPayments != "20.00" {
		t.Errorf("remaining credits %s, unapplied payments %s; want 30.00 and 20.00", c.RemainingCredits, c.UnappliedPayments)
	}
}
