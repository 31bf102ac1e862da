package qboschema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// validBodies are request bodies shaped as Intuit's documentation and SDKs
// send them; each must pass the schema check of its entity.
var validBodies = map[string]string{
	"Customer": `{"DisplayName":"Acme Ltd","CompanyName":"Acme Ltd","GivenName":"Ann","FamilyName":"Lee",
		"PrimaryEmailAddr":{"Address":"billing@acme.example"},"PrimaryPhone":{"FreeFormNumber":"555-0100"},
		"BillAddr":{"Line1":"1 Main St","City":"Springfield","CountrySubDivisionCode":"CA","PostalCode":"94000","Country":"US"},
		"CurrencyRef":{"value":"USD","name":"United States Dollar"},"ParentRef":{"value":"58"},"Job":true,"BillWithParent":false,
		"Notes":"billing customer cus_123","Active":true,"Taxable":true,"PreferredDeliveryMethod":"Email"}`,
	"Item": `{"Name":"Pro plan","Type":"Service","Description":"Monthly subscription","UnitPrice":49.99,
		"IncomeAccountRef":{"value":"79","name":"Sales of Product Income"},"Taxable":true,"Sku":"PRO-M","Active":true,"TrackQtyOnHand":false}`,
	"Account": `{"Name":"Deferred Revenue","AccountType":"Other Current Liability","AccountSubType":"OtherCurrentLiabilities",
		"Description":"prepaid subscriptions","AcctNum":"2400","Active":true,"CurrencyRef":{"value":"USD"}}`,
	"Invoice": `{"DocNumber":"INV-1001","TxnDate":"2026-03-01","DueDate":"2026-03-31","CustomerRef":{"value":"58","name":"Acme Ltd"},
		"PrivateNote":"billing inv_9","CustomerMemo":{"value":"Thanks"},"BillEmail":{"Address":"billing@acme.example"},
		"SalesTermRef":{"value":"3"},"CurrencyRef":{"value":"USD"},"ExchangeRate":1,"GlobalTaxCalculation":"TaxExcluded",
		"Line":[
			{"Id":"1","LineNum":1,"Description":"Pro plan","Amount":100.00,"DetailType":"SalesItemLineDetail",
			 "SalesItemLineDetail":{"ItemRef":{"value":"5","name":"Pro plan"},"Qty":2,"UnitPrice":50.00,"TaxCodeRef":{"value":"TAX"},"ServiceDate":"2026-03-01"}},
			{"Amount":10.00,"DetailType":"DiscountLineDetail",
			 "DiscountLineDetail":{"PercentBased":true,"DiscountPercent":10,"DiscountAccountRef":{"value":"86"}}},
			{"Amount":90.00,"DetailType":"SubTotalLineDetail","SubTotalLineDetail":{}}],
		"TxnTaxDetail":{"TxnTaxCodeRef":{"value":"2"},"TotalTax":7.20,
			"TaxLine":[{"Amount":7.20,"DetailType":"TaxLineDetail","TaxLineDetail":{"TaxRateRef":{"value":"3"},"PercentBased":true,"TaxPercent":8,"NetAmountTaxable":90.00}}]},
		"LinkedTxn":[{"TxnId":"12","TxnType":"Estimate"}],
		"CustomField":[{"DefinitionId":"1","Name":"PO","Type":"StringType","StringValue":"PO-7"}]}`,
	"Payment": `{"CustomerRef":{"value":"58"},"TotalAmt":97.20,"TxnDate":"2026-03-05","PaymentRefNum":"ch_123",
		"PaymentMethodRef":{"value":"1"},"DepositToAccountRef":{"value":"4"},"PrivateNote":"billing pay_1",
		"Line":[{"Amount":97.20,"LinkedTxn":[{"TxnId":"130","TxnType":"Invoice"}]},
		        {"Amount":5.00,"LinkedTxn":[{"TxnId":"131","TxnType":"CreditMemo"}]}]}`,
	"CreditMemo": `{"CustomerRef":{"value":"58"},"DocNumber":"CM-1","TxnDate":"2026-03-06","PrivateNote":"billing cn_1",
		"Line":[{"Amount":20.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"5"},"Qty":1,"UnitPrice":20.00,"TaxCodeRef":{"value":"NON"}}}],
		"TxnTaxDetail":{"TotalTax":0}}`,
	"RefundReceipt": `{"CustomerRef":{"value":"58"},"DocNumber":"RF-1","DepositToAccountRef":{"value":"35"},
		"PaymentMethodRef":{"value":"2"},"PaymentRefNum":"re_1","PrivateNote":"billing refund re_1",
		"Line":[{"Amount":15.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"5"},"Qty":1,"UnitPrice":15.00}}]}`,
	"SalesReceipt": `{"CustomerRef":{"value":"58"},"DocNumber":"SR-1","DepositToAccountRef":{"value":"4"},"PaymentMethodRef":{"value":"1"},
		"Line":[{"Amount":30.00,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"5"},"Qty":1,"UnitPrice":30.00}}],
		"TxnTaxDetail":{"TotalTax":0}}`,
	"JournalEntry": `{"DocNumber":"JE-1","TxnDate":"2026-03-07","PrivateNote":"billing write-off inv_9","Adjustment":false,
		"Line":[
			{"Id":"0","Description":"write-off","Amount":42.50,"DetailType":"JournalEntryLineDetail",
			 "JournalEntryLineDetail":{"PostingType":"Debit","AccountRef":{"value":"90","name":"Bad debts"}}},
			{"Description":"write-off","Amount":42.50,"DetailType":"JournalEntryLineDetail",
			 "JournalEntryLineDetail":{"PostingType":"Credit","AccountRef":{"value":"84"},
			  "Entity":{"Type":"Customer","EntityRef":{"value":"58","name":"Acme Ltd"}}}}]}`,
	"PaymentMethod": `{"Name":"Stripe card","Type":"CREDIT_CARD","Active":true}`,
	"TaxCode": `{"Id":"2","SyncToken":"0","Name":"TAX","Description":"Taxable","Active":true,"Taxable":true,"TaxGroup":false,
		"SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":"3","name":"CA"},"TaxTypeApplicable":"TaxOnAmount","TaxOrder":0}]},
		"PurchaseTaxRateList":{"TaxRateDetail":[]},"MetaData":{"CreateTime":"2026-01-01T00:00:00-08:00","LastUpdatedTime":"2026-01-01T00:00:00-08:00"}}`,
	"TaxRate": `{"Id":"3","Name":"CA","Description":"California","Active":true,"RateValue":8,"AgencyRef":{"value":"1"},"SpecialTaxType":"NONE","DisplayType":"ReadOnly"}`,
	"CompanyInfo": `{"Id":"1","SyncToken":"4","CompanyName":"Sandbox Company","LegalName":"Sandbox Co","Country":"US",
		"CompanyAddr":{"Line1":"123 Sierra Way","City":"San Pablo","CountrySubDivisionCode":"CA","PostalCode":"87999"},
		"Email":{"Address":"owner@sandbox.example"},"WebAddr":{},"FiscalYearStartMonth":"January","SupportedLanguages":"en",
		"NameValue":[{"Name":"NeoEnabled","Value":"true"}],"domain":"QBO","sparse":false}`,
	"Preferences": `{"Id":"1","SyncToken":"3","AccountingInfoPrefs":{"BookCloseDate":"2025-12-31","CustomerTerminology":"Customers"},
		"SalesFormsPrefs":{"CustomTxnNumbers":true,"AutoApplyCredit":true,"AutoApplyPayments":true,"AllowDiscount":true},
		"CurrencyPrefs":{"MultiCurrencyEnabled":true,"HomeCurrency":{"value":"USD"}},
		"TaxPrefs":{"UsingSalesTax":true,"PartnerTaxEnabled":true},
		"OtherPrefs":{"NameValue":[{"Name":"SalesFormsPrefs.DefaultCustomerMessage","Value":"Thanks"}]}}`,
	"Vendor": `{"DisplayName":"Payments Co","CompanyName":"Payments Co","PrimaryEmailAddr":{"Address":"ap@payments.example"},
		"BillAddr":{"Line1":"2 Side St"},"Vendor1099":false,"CurrencyRef":{"value":"USD"},"AcctNum":"V-1"}`,
	"Employee": `{"DisplayName":"Ann Lee","GivenName":"Ann","FamilyName":"Lee","PrimaryAddr":{"Line1":"3 Road"},
		"PrimaryPhone":{"FreeFormNumber":"555-0101"},"HiredDate":"2024-01-02","EmployeeNumber":"E1"}`,
	"Deposit": `{"DepositToAccountRef":{"value":"35"},"TxnDate":"2026-03-08","PrivateNote":"payout po_1",
		"Line":[{"Amount":97.20,"LinkedTxn":[{"TxnId":"140","TxnType":"Payment","TxnLineId":"0"}]},
		        {"Amount":-2.90,"DetailType":"DepositLineDetail","DepositLineDetail":{"AccountRef":{"value":"76"},"PaymentMethodRef":{"value":"1"}}}]}`,
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("test body is not JSON: %v", err)
	}
	return m
}

// Mirrors QBO accepting every property its schema defines, on every entity
// the simulator serves.
func TestCheckAcceptsRealisticBodies(t *testing.T) {
	for entity, body := range validBodies {
		t.Run(entity, func(t *testing.T) {
			if bad, ok := Check(entity, decode(t, body)); !ok {
				t.Fatalf("Check rejected %q", bad)
			}
		})
	}
}

// Mirrors QBO's 2010 "Request has invalid or unsupported property": an
// undefined key is rejected wherever it appears, and the path names it.
func TestCheckRejectsUnknownProperties(t *testing.T) {
	tests := []struct {
		entity, body, want string
	}{
		{"Customer", `{"DisplayName":"A","Email":"a@b.example"}`, "Email"},
		{"Customer", `{"DisplayName":"A","PrimaryEmailAddr":{"Address":"a@b","Primary":true}}`, "PrimaryEmailAddr.Primary"},
		{"Customer", `{"DisplayName":"A","BillAddr":{"Street":"x"}}`, "BillAddr.Street"},
		{"Customer", `{"DisplayName":"A","ParentRef":{"value":"1","id":"1"}}`, "ParentRef.id"},
		{"Item", `{"Name":"x","Type":"Service","Price":1}`, "Price"},
		{"Item", `{"Name":"x","IncomeAccountRef":{"value":"1","Name":"Sales"}}`, "IncomeAccountRef.Name"},
		{"Account", `{"Name":"x","Currency":"USD"}`, "Currency"},
		{"Invoice", `{"CustomerRef":{"value":"1"},"Memo":"x"}`, "Memo"},
		{"Invoice", `{"Line":[{"Amount":1,"DetailType":"SalesItemLineDetail","SalesItemLineDetail":{"ItemRef":{"value":"1"}}},
			{"Amount":1,"SalesItemLineDetail":{"Foo":1}}]}`, "Line[1].SalesItemLineDetail.Foo"},
		{"Invoice", `{"Line":[{"Amount":1,"DiscountLineDetail":{"Percent":5}}]}`, "Line[0].DiscountLineDetail.Percent"},
		{"Invoice", `{"TxnTaxDetail":{"TotalTax":1,"Rate":2}}`, "TxnTaxDetail.Rate"},
		{"Invoice", `{"DocNumber":{"value":"1"}}`, "DocNumber.value"},
		{"Payment", `{"TotalAmt":1,"Line":[{"Amount":1,"LinkedTxn":[{"TxnId":"1","TxnType":"Invoice","Amount":1}]}]}`, "Line[0].LinkedTxn[0].Amount"},
		{"Payment", `{"UnappliedAmount":1}`, "UnappliedAmount"},
		{"CreditMemo", `{"Line":[{"Amount":1,"Credit":true}]}`, "Line[0].Credit"},
		{"RefundReceipt", `{"RefundFromAccountRef":{"value":"1"}}`, "RefundFromAccountRef"},
		{"SalesReceipt", `{"CustomerRef":{"value":"1"},"Line":[{"Amount":1,"SalesItemLineDetail":{"Quantity":1}}]}`, "Line[0].SalesItemLineDetail.Quantity"},
		{"JournalEntry", `{"Line":[{"Amount":1,"JournalEntryLineDetail":{"PostingType":"Debit","Entity":{"Type":"Customer","EntityRef":{"value":"1"},"Id":"1"}}}]}`,
			"Line[0].JournalEntryLineDetail.Entity.Id"},
		{"JournalEntry", `{"Balanced":true}`, "Balanced"},
		{"PaymentMethod", `{"Name":"x","Kind":"card"}`, "Kind"},
		{"TaxCode", `{"Name":"TAX","SalesTaxRateList":{"TaxRateDetail":[{"TaxRateRef":{"value":"1"},"Rate":1}]}}`, "SalesTaxRateList.TaxRateDetail[0].Rate"},
		{"TaxRate", `{"Name":"x","Rate":1}`, "Rate"},
		{"CompanyInfo", `{"CompanyName":"x","HomeCurrency":"USD"}`, "HomeCurrency"},
		{"Preferences", `{"SalesFormsPrefs":{"AutoApplyCredits":true}}`, "SalesFormsPrefs.AutoApplyCredits"},
		{"Vendor", `{"DisplayName":"x","Job":true}`, "Job"},
		{"Employee", `{"DisplayName":"x","Salary":1}`, "Salary"},
		{"Deposit", `{"Line":[{"Amount":1,"DepositLineDetail":{"Memo":"x"}}]}`, "Line[0].DepositLineDetail.Memo"},
	}
	for _, tt := range tests {
		t.Run(tt.entity+"/"+tt.want, func(t *testing.T) {
			bad, ok := Check(tt.entity, decode(t, tt.body))
			if ok || bad != tt.want {
				t.Fatalf("Check = %q, %v; want %q, false", bad, ok, tt.want)
			}
		})
	}
}

// Every entity the simulator serves is in the schema and accepts the
// JSON-only keys Intuit takes on any body.
func TestEntitiesCoverTheSimulatedSurface(t *testing.T) {
	all := Entities()
	if !slices.IsSorted(all) {
		t.Error("Entities is not sorted")
	}
	for entity := range validBodies {
		if !slices.Contains(all, entity) {
			t.Errorf("Entities lacks %s", entity)
		}
		body := map[string]any{"Id": "1", "SyncToken": "0", "sparse": true, "domain": "QBO"}
		if bad, ok := Check(entity, body); !ok {
			t.Errorf("%s rejects %q", entity, bad)
		}
	}
}

func TestCheckEntityNames(t *testing.T) {
	if bad, ok := Check("Widget", map[string]any{}); ok || bad != "" {
		t.Errorf("unknown entity: Check = %q, %v; want \"\", false", bad, ok)
	}
	if _, ok := Check("creditmemo", map[string]any{"DocNumber": "1"}); !ok {
		t.Error("lower-case entity name from a URL segment was not recognised")
	}
}

// Mirrors QBO ignoring fields it computes itself (balances, totals,
// MetaData) while writable neighbours stay writable.
func TestReadOnly(t *testing.T) {
	tests := []struct {
		entity, path string
		want         bool
	}{
		{"Invoice", "Balance", true},
		{"Invoice", "TotalAmt", true},
		{"Invoice", "HomeBalance", true},
		{"Invoice", "MetaData", true},
		{"Invoice", "MetaData.CreateTime", true},
		{"Invoice", "status", true},
		{"Invoice", "sparse", false},
		{"Invoice", "DocNumber", false},
		{"Invoice", "Line[0].Amount", false},
		{"Invoice", "Line[0].Received", true},
		{"Invoice", "TxnTaxDetail.TotalTax", false},
		{"SalesReceipt", "TotalAmt", true},
		{"JournalEntry", "TotalAmt", true},
		{"Account", "FullyQualifiedName", true},
		{"Account", "CurrentBalance", false}, // the schema marks it read-only for QuickBooks Desktop only
		{"Customer", "V4IDPseudonym", true},
		{"Customer", "DisplayName", false},
		{"Customer", "Nope", false},
		{"Widget", "Balance", false},
		{"Payment", "Line[0].LinkedTxn[0].TxnId", false},
		{"Payment", "TotalAmt", false}, // required input in QBO; "Non QB-writable" is a Desktop note
		{"Customer", "BalanceWithJobs", true},
	}
	for _, tt := range tests {
		t.Run(tt.entity+"."+tt.path, func(t *testing.T) {
			if got := ReadOnly(tt.entity, tt.path); got != tt.want {
				t.Fatalf("ReadOnly = %v, want %v", got, tt.want)
			}
		})
	}
}
