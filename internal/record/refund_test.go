package record_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

func TestRefundEntries(t *testing.T) {
	typed := map[string]record.RefundEntry{"ref_2": {JournalEntryID: "302", Amount: 500}}
	tests := []struct {
		name    string
		link    record.Link
		want    map[string]record.RefundEntry
		wantErr string
	}{
		{name: "none", link: record.Link{Extra: map[string]string{"intent_hash": "h1"}},
			want: map[string]record.RefundEntry{}},
		{name: "typed", link: record.Link{Refunds: typed}, want: typed},
		{name: "older form in Extra", link: record.Link{Extra: map[string]string{"refund:ref_1": "301|1250", "settle": "1"}},
			want: map[string]record.RefundEntry{"ref_1": {JournalEntryID: "301", Amount: 1250}}},
		// The typed field, once written, is the record; Extra's form is
		// only read for links never rewritten.
		{name: "typed wins over the older form", link: record.Link{Refunds: typed,
			Extra: map[string]string{"refund:ref_1": "301|1250"}}, want: typed},
		{name: "older form, amount unreadable", link: record.Link{Kind: billing.KindPayment, ID: "pay_1",
			Extra: map[string]string{"refund:ref_1": "301"}}, wantErr: "refund ref_1 on the link of payment pay_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.link.RefundEntries()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("RefundEntries() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestSetRefundsLeavesTheCallersExtraAlone(t *testing.T) {
	extra := map[string]string{"refund:ref_1": "301|1250", "intent_hash": "h1"}
	l := record.Link{Extra: extra}
	l.SetRefunds(map[string]record.RefundEntry{"ref_1": {JournalEntryID: "301", Amount: 1250}})
	if _, left := l.Extra["refund:ref_1"]; left || l.Extra["intent_hash"] != "h1" {
		t.Errorf("extra = %v, want the older refund key gone, the rest kept", l.Extra)
	}
	if extra["refund:ref_1"] != "301|1250" {
		t.Errorf("the map the caller holds was changed: %v", extra)
	}
}
