package billing

// Kind names a billing entity type. The values are the webhook contract's
// kind names and appear in keys, queue names and the admin API.
type Kind string

// The kinds of the webhook contract, in dependency order (parents first).
const (
	KindCustomer       Kind = "customer"
	KindProduct        Kind = "product"
	KindInvoice        Kind = "invoice"
	KindPayment        Kind = "payment"
	KindCredit         Kind = "credit"
	KindChargeReversal Kind = "charge_reversal"
	KindWriteOff       Kind = "write_off"
	KindRefund         Kind = "refund"
	KindSale           Kind = "sale"
)

// Kinds lists every kind in dependency order: a kind never references a
// kind that comes after it.
var Kinds = []Kind{
	KindCustomer, KindProduct, KindInvoice, KindPayment,
	KindCredit, KindChargeReversal, KindWriteOff, KindSale, KindRefund,
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}
