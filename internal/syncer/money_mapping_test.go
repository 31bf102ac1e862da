package syncer

import (
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// ledgers are a tenant's settings with every ledger chosen.
var ledgers = record.Settings{RevenueAccountID: "41", DepositAccountID: "35", RefundAccountID: "36",
	DiscountAccountID: "86", BadDebtAccountID: "87", ARAccountID: "84", DefaultItemID: "19", BadDebtItemID: "22",
	TaxMode: record.TaxUSOverride}

// linkedIDs is a company where every parent is linked: customer cus_1001
// is 58, invoices inv_1001 and inv_1002 are 145 and 146, products 20 and 21.
func linkedIDs(kind billing.Kind, id string) string {
	return map[billing.Ref]string{
		{Kind: billing.KindCustomer, ID: "cus_1001"}:  "58",
		{Kind: billing.KindInvoice, ID: "inv_1001"}:   "145",
		{Kind: billing.KindInvoice, ID: "inv_1002"}:   "146",
		{Kind: billing.KindProduct, ID: "prod_basic"}: "20",
		{Kind: billing.KindProduct, ID: "prod_addon"}: "21",
	}[billing.Ref{Kind: kind, ID: id}]
}

func TestMapPayment(t *testing.T) {
	p := decodeFile[*billing.Payment](t, billing.KindPayment, "payment.in.json")
	refs := paymentRefs{customerID: "58", invoices: map[string]string{"inv_1001": "145", "inv_1002": "146"}, methodID: "3"}
	got, err := mapPayment("acme", p, ledgers, refs)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "payment", got)

	// A refund taken off the payment's unapplied 25.00 applies it to the
	// refund's journal entry.
	refs.refunds = []refundLine{{refundID: "ref_1001", journalID: "301", amount: 1250}}
	got, err = mapPayment("acme", p, ledgers, refs)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "payment_refunded", got)
}

func TestMapCreditDocuments(t *testing.T) {
	reversal := decodeFile[*billing.ChargeReversal](t, billing.KindChargeReversal, "chargereversal.in.json")
	tests := []struct {
		name string
		doc  creditDoc
	}{
		{"credit", creditOf("acme", decodeFile[*billing.Credit](t, billing.KindCredit, "credit.in.json"), ledgers, linkedIDs)},
		{"charge_reversal", chargeReversalOf("acme", reversal, "21", linkedIDs)},
		{"write_off", writeOffOf("acme", decodeFile[*billing.WriteOff](t, billing.KindWriteOff, "writeoff.in.json"), ledgers, linkedIDs)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			memo, err := mapCreditMemo(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+"_memo", memo)
			app, err := mapApplication(tc.doc, "177")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+"_application", app)
		})
	}
}

func TestMapRefund(t *testing.T) {
	f := decodeFile[*billing.Refund](t, billing.KindRefund, "refund.in.json")
	got, err := mapRefund("acme", f, ledgers, "58")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "refund", got)
}
