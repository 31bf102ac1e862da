package qbo

import (
	"encoding/json"
	"testing"
)

// Every entity the engine writes names itself and is dated and totaled
// through methods, not through its JSON.
var (
	_ Identifiable = (*Customer)(nil)
	_ Identifiable = (*Item)(nil)
	_ Identifiable = (*Account)(nil)
	_ Identifiable = (*PaymentMethod)(nil)

	_ interface {
		Identifiable
		Dated
		Totaled
	} = (*Invoice)(nil)
	_ interface {
		Identifiable
		Dated
		Totaled
	} = (*CreditMemo)(nil)
	_ interface {
		Identifiable
		Dated
		Totaled
	} = (*RefundReceipt)(nil)
	_ interface {
		Identifiable
		Dated
		Totaled
	} = (*SalesReceipt)(nil)
	_ interface {
		Identifiable
		Dated
		Totaled
	} = (*Payment)(nil)
	_ interface {
		Identifiable
		Dated
		Totaled
	} = (*JournalEntry)(nil)
)

func TestWithIdentity(t *testing.T) {
	inv, err := WithIdentity(Invoice{DocNumber: "INV-1", TotalAmt: "52.92"}, "145", "3", true)
	if err != nil {
		t.Fatal(err)
	}
	if id, token := inv.Identity(); id != "145" || token != "3" || !inv.Sparse || inv.DocNumber != "INV-1" {
		t.Errorf("invoice = %+v, want Id 145 at SyncToken 3, sparse, its fields kept", inv)
	}
	b, _ := json.Marshal(inv)
	if want := `{"Id":"145","SyncToken":"3","sparse":true,"DocNumber":"INV-1","TotalAmt":52.92}`; string(b) != want {
		t.Errorf("sent as %s\nwant    %s", b, want)
	}
	if _, err := WithIdentity(CompanyInfo{}, "1", "0", false); err == nil {
		t.Error("CompanyInfo, which the engine never writes, was given an identity")
	}
}
