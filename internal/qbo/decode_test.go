package qbo

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbosync/qbosync/internal/money"
)

func TestCreateDecodesIntuitResponse(t *testing.T) {
	_, c := newFake(t, ok(fixture(t, "responses/invoice.json")))
	got, err := Create(context.Background(), c, testRealm, sampleInvoice(), "rid")
	if err != nil {
		t.Fatal(err)
	}
	pdt := time.FixedZone("", -7*3600)
	want := Invoice{
		ID: "130", SyncToken: "0", DocNumber: "1037", TxnDate: "2014-09-19", DueDate: "2014-10-19",
		MetaData: &MetaData{CreateTime: time.Date(2014, 9, 19, 13, 16, 17, 0, pdt),
			LastUpdatedTime: time.Date(2014, 9, 19, 13, 16, 17, 0, pdt)},
		CustomerRef: &Ref{Value: "24", Name: "Sonnenschein Family Store"},
		Line: []Line{
			{ID: "1", LineNum: 1, Description: "Rock Fountain", Amount: "275.0", DetailType: SalesItemLine,
				SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "5", Name: "Rock Fountain"}, Qty: "1",
					UnitPrice: "275", TaxCodeRef: &Ref{Value: "TAX"}}},
			{ID: "2", LineNum: 2, Description: "Fountain Pump", Amount: "12.75", DetailType: SalesItemLine,
				SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "11", Name: "Pump"}, Qty: "1",
					UnitPrice: "12.75", TaxCodeRef: &Ref{Value: "TAX"}}},
			{ID: "3", LineNum: 3, Description: "Concrete for fountain installation", Amount: "47.5", DetailType: SalesItemLine,
				SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "3", Name: "Concrete"}, Qty: "5",
					UnitPrice: "9.5", TaxCodeRef: &Ref{Value: "TAX"}}},
			{Amount: "335.25", DetailType: SubTotalLine, SubTotalLineDetail: &SubTotalLineDetail{}},
		},
		TxnTaxDetail: &TxnTaxDetail{TxnTaxCodeRef: &Ref{Value: "2"}, TotalTax: "26.82", TaxLine: []Line{{
			Amount: "26.82", DetailType: TaxLine, TaxLineDetail: &TaxLineDetail{TaxRateRef: &Ref{Value: "3"},
				PercentBased: Bool(true), TaxPercent: "8", NetAmountTaxable: "335.25"}}}},
		CustomerMemo:          &MemoRef{Value: "Thank you for your business and have a great day!"},
		BillEmail:             &EmailAddress{Address: "Familiystore@intuit.com"},
		EmailStatus:           "NotSet",
		ApplyTaxAfterDiscount: Bool(false),
		TotalAmt:              "362.07",
		Balance:               "362.07",
		LinkedTxn:             []LinkedTxn{{TxnID: "100", TxnType: "Estimate"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded invoice (-want +got):\n%s", diff)
	}
	total, err := money.Parse(string(got.TotalAmt), "USD")
	if err != nil || total != 36207 {
		t.Errorf("TotalAmt in cents = %d, %v; want 36207", total, err)
	}
}

func TestPaymentResponseDecodes(t *testing.T) {
	_, c := newFake(t, ok(fixture(t, "responses/payment.json")))
	p, err := Read[Payment](context.Background(), c, testRealm, "163")
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalAmt != "65.00" || p.UnappliedAmt != "10.00" || len(p.Line) != 1 ||
		p.Line[0].Amount != "55.00" || p.Line[0].LinkedTxn[0] != (LinkedTxn{TxnID: "70", TxnType: "Invoice"}) {
		t.Errorf("payment decoded as %+v", p)
	}
}

func TestPreferencesAndCompanyInfo(t *testing.T) {
	f, c := newFake(t, ok(fixture(t, "responses/preferences.json")), ok(fixture(t, "responses/companyinfo.json")))
	ctx := context.Background()
	p, err := c.Preferences(ctx, testRealm)
	if err != nil {
		t.Fatal(err)
	}
	want := Preferences{
		AccountingInfoPrefs: &AccountingInfoPrefs{BookCloseDate: "2014-09-30", FirstMonthOfFiscalYear: "January",
			ClassTrackingPerTxn: Bool(false), TrackDepartments: Bool(true)},
		SalesFormsPrefs: &SalesFormsPrefs{CustomTxnNumbers: Bool(false), AutoApplyCredit: Bool(true),
			AutoApplyPayments: Bool(true), AllowDiscount: Bool(true), AllowDeposit: Bool(true),
			AllowServiceDate: Bool(false), AllowShipping: Bool(false), DefaultTerms: &Ref{Value: "3"}},
		TaxPrefs:      &TaxPrefs{UsingSalesTax: Bool(true), PartnerTaxEnabled: Bool(true), TaxGroupCodeRef: &Ref{Value: "2"}},
		CurrencyPrefs: &CurrencyPrefs{MultiCurrencyEnabled: Bool(false), HomeCurrency: &Ref{Value: "USD"}},
		OtherPrefs: &OtherPrefs{NameValue: []NameValue{
			{Name: "SalesFormsPrefs.DefaultCustomerMessage", Value: "Thank you for your business and have a great day!"},
			{Name: "DTXCopyMemo", Value: "false"}}},
	}
	if diff := cmp.Diff(want, p, cmp.FilterPath(func(p cmp.Path) bool {
		return p.String() == "ID" || p.String() == "SyncToken" || p.String() == "MetaData"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("preferences (-want +got):\n%s", diff)
	}
	ci, err := c.CompanyInfo(ctx, testRealm)
	if err != nil {
		t.Fatal(err)
	}
	if ci.CompanyName != "Larry's Bakery" || ci.Country != "US" || ci.CompanyAddr.City != "Mountain View" {
		t.Errorf("company info %+v", ci)
	}
	reqs := f.requests()
	if reqs[0].Method != http.MethodGet || reqs[0].Path != "/v3/company/"+testRealm+"/preferences" {
		t.Errorf("preferences request %s %s", reqs[0].Method, reqs[0].Path)
	}
	if reqs[1].Method != http.MethodGet || reqs[1].Path != "/v3/company/"+testRealm+"/companyinfo/"+testRealm {
		t.Errorf("company info request %s %s", reqs[1].Method, reqs[1].Path)
	}
	for _, r := range reqs {
		if r.Query.Get("minorversion") != "75" {
			t.Errorf("%s without minorversion", r.Path)
		}
	}
}

func TestAmountsStayExact(t *testing.T) {
	b, err := json.Marshal(Payment{TotalAmt: usd(10), Line: []Line{{Amount: usd(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"TotalAmt":0.10,"Line":[{"Amount":0.01}]}`; string(b) != want {
		t.Errorf("marshaled %s, want %s", b, want)
	}
	var p Payment
	if err := json.Unmarshal([]byte(`{"TotalAmt":1234567890123.45,"UnappliedAmt":"0.30"}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.TotalAmt != "1234567890123.45" || p.UnappliedAmt != "0.30" {
		t.Errorf("decoded %q %q", p.TotalAmt, p.UnappliedAmt)
	}
}
