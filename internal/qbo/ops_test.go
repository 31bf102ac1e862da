package qbo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleInvoice() Invoice {
	return Invoice{
		DocNumber:   "INV-1037",
		TxnDate:     "2026-11-02",
		DueDate:     "2026-12-02",
		CustomerRef: &Ref{Value: "24"},
		Line: []Line{
			{Description: "Pro plan, November", Amount: usd(27500), DetailType: SalesItemLine,
				SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "5"}, Qty: "1",
					UnitPrice: usd(27500), TaxCodeRef: &Ref{Value: "TAX"}, ServiceDate: "2026-11-01"}},
			{Description: "Seats", Amount: usd(6000), DetailType: SalesItemLine,
				SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "6"}, Qty: "3",
					UnitPrice: usd(2000), TaxCodeRef: &Ref{Value: "NON"}}},
			{Amount: usd(1000), DetailType: DiscountLine,
				DiscountLineDetail: &DiscountLineDetail{PercentBased: Bool(false), DiscountAccountRef: &Ref{Value: "86"}}},
		},
		TxnTaxDetail:          &TxnTaxDetail{TotalTax: usd(2200)},
		PrivateNote:           "qbosync invoice in_123",
		CustomerMemo:          &MemoRef{Value: "Thank you"},
		ApplyTaxAfterDiscount: Bool(false),
	}
}

func samplePayment() Payment {
	return Payment{
		TxnDate:             "2026-11-05",
		CustomerRef:         &Ref{Value: "20"},
		TotalAmt:            usd(6500),
		PaymentRefNum:       "ch_3Nx",
		PaymentMethodRef:    &Ref{Value: "3"},
		DepositToAccountRef: &Ref{Value: "4"},
		Line: []Line{{Amount: usd(5500),
			LinkedTxn: []LinkedTxn{{TxnID: "70", TxnType: "Invoice"}}}},
		PrivateNote: "qbosync payment py_9",
	}
}

// creditApplication applies credit memo 71 to invoice 70 without cash.
func creditApplication() Payment {
	return Payment{
		TxnDate:     "2026-11-06",
		CustomerRef: &Ref{Value: "20"},
		TotalAmt:    usd(0),
		Line: []Line{
			{Amount: usd(1500), LinkedTxn: []LinkedTxn{{TxnID: "70", TxnType: "Invoice"}}},
			{Amount: usd(1500), LinkedTxn: []LinkedTxn{{TxnID: "71", TxnType: "CreditMemo"}}},
		},
	}
}

func sampleJournalEntry() JournalEntry {
	customer := &EntityTypeRef{Type: "Customer", EntityRef: &Ref{Value: "20"}}
	return JournalEntry{
		DocNumber: "RF-9",
		TxnDate:   "2026-11-07",
		Line: []Line{
			{Description: "Refund re_1", Amount: usd(2000), DetailType: JournalEntryLine,
				JournalEntryLineDetail: &JournalEntryLineDetail{PostingType: Debit, AccountRef: &Ref{Value: "84"}, Entity: customer}},
			{Description: "Refund re_1", Amount: usd(2000), DetailType: JournalEntryLine,
				JournalEntryLineDetail: &JournalEntryLineDetail{PostingType: Credit, AccountRef: &Ref{Value: "35"}}},
		},
		PrivateNote: "qbosync refund re_1",
	}
}

func TestWrites(t *testing.T) {
	invoiceBody := fixture(t, "responses/invoice.json")
	paymentBody := fixture(t, "responses/payment.json")
	tests := []struct {
		name   string
		call   func(context.Context, *Client) (any, error)
		reply  []byte
		path   string
		query  url.Values
		golden string
	}{
		{"create invoice", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, sampleInvoice(), "5f0c6c1a8d3b4e2f9a7d1c0b3e5f7a9c")
		}, invoiceBody, "/invoice", url.Values{"requestid": {"5f0c6c1a8d3b4e2f9a7d1c0b3e5f7a9c"}}, "create_invoice.json"},
		{"create customer", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, Customer{DisplayName: "O'Brien Ltd", CompanyName: "O'Brien Ltd",
				PrimaryEmailAddr: &EmailAddress{Address: "ap@obrien.example"},
				BillAddr:         &PhysicalAddress{Line1: "1 Main St", City: "Dublin", Country: "IE", PostalCode: "D01"},
				Notes:            "qbosync customer cus_1", CurrencyRef: &Ref{Value: "EUR"}}, "rid-customer")
		}, []byte(`{"Customer":{"Id":"58","SyncToken":"0","DisplayName":"O'Brien Ltd"}}`), "/customer",
			url.Values{"requestid": {"rid-customer"}}, "create_customer.json"},
		{"create sub-customer", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, Customer{DisplayName: "O'Brien Ltd:Project", ParentRef: &Ref{Value: "58"},
				Job: Bool(true), BillWithParent: Bool(true)}, "rid-job")
		}, []byte(`{"Customer":{"Id":"59","SyncToken":"0"}}`), "/customer",
			url.Values{"requestid": {"rid-job"}}, "create_subcustomer.json"},
		{"create item", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, Item{Name: "Pro plan", Type: "Service", IncomeAccountRef: &Ref{Value: "90"},
				UnitPrice: usd(27500)}, "rid-item")
		}, []byte(`{"Item":{"Id":"5","SyncToken":"0"}}`), "/item", url.Values{"requestid": {"rid-item"}}, "create_item.json"},
		{"create payment", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, samplePayment(), "rid-payment")
		}, paymentBody, "/payment", url.Values{"requestid": {"rid-payment"}}, "create_payment.json"},
		{"apply credit with a zero payment", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, creditApplication(), "rid-apply")
		}, paymentBody, "/payment", url.Values{"requestid": {"rid-apply"}}, "create_credit_application.json"},
		{"create credit memo", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, CreditMemo{TxnDate: "2026-11-06", CustomerRef: &Ref{Value: "20"},
				Line: []Line{{Amount: usd(1500), DetailType: SalesItemLine,
					SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "5"}, Qty: "1", UnitPrice: usd(1500)}}},
				PrivateNote: "qbosync credit cr_1"}, "rid-credit")
		}, []byte(`{"CreditMemo":{"Id":"71","SyncToken":"0","RemainingCredit":15.00}}`), "/creditmemo",
			url.Values{"requestid": {"rid-credit"}}, "create_creditmemo.json"},
		{"create journal entry", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, sampleJournalEntry(), "rid-je")
		}, []byte(`{"JournalEntry":{"Id":"80","SyncToken":"0"}}`), "/journalentry",
			url.Values{"requestid": {"rid-je"}}, "create_journalentry.json"},
		{"create refund receipt", func(ctx context.Context, c *Client) (any, error) {
			return Create(ctx, c, testRealm, RefundReceipt{TxnDate: "2026-11-07", CustomerRef: &Ref{Value: "20"},
				DepositToAccountRef: &Ref{Value: "35"}, PaymentRefNum: "re_1",
				Line: []Line{{Amount: usd(2000), DetailType: SalesItemLine,
					SalesItemLineDetail: &SalesItemLineDetail{ItemRef: &Ref{Value: "5"}, Qty: "1", UnitPrice: usd(2000)}}}}, "rid-rr")
		}, []byte(`{"RefundReceipt":{"Id":"81","SyncToken":"0"}}`), "/refundreceipt",
			url.Values{"requestid": {"rid-rr"}}, "create_refundreceipt.json"},
		{"full update invoice", func(ctx context.Context, c *Client) (any, error) {
			inv := sampleInvoice()
			inv.ID, inv.SyncToken = "130", "3"
			return Update(ctx, c, testRealm, inv, "rid-update")
		}, invoiceBody, "/invoice", url.Values{"requestid": {"rid-update"}}, "update_invoice.json"},
		{"sparse update deactivates customer", func(ctx context.Context, c *Client) (any, error) {
			return Update(ctx, c, testRealm, Customer{ID: "58", SyncToken: "2", Sparse: true, Active: Bool(false)}, "rid-deactivate")
		}, []byte(`{"Customer":{"Id":"58","SyncToken":"3","Active":false}}`), "/customer",
			url.Values{"requestid": {"rid-deactivate"}}, "sparse_customer.json"},
		{"void invoice", func(ctx context.Context, c *Client) (any, error) {
			return Void(ctx, c, testRealm, Invoice{ID: "130", SyncToken: "4", DocNumber: "ignored"}, "rid-void")
		}, invoiceBody, "/invoice", url.Values{"requestid": {"rid-void"}, "operation": {"void"}}, "void_invoice.json"},
		{"void credit memo", func(ctx context.Context, c *Client) (any, error) {
			return Void(ctx, c, testRealm, CreditMemo{ID: "71", SyncToken: "1"}, "rid-void-cm")
		}, []byte(`{"CreditMemo":{"Id":"71","SyncToken":"2"}}`), "/creditmemo",
			url.Values{"requestid": {"rid-void-cm"}, "operation": {"void"}}, "void_creditmemo.json"},
		{"void payment", func(ctx context.Context, c *Client) (any, error) {
			p := samplePayment()
			p.ID, p.SyncToken = "163", "0"
			return Void(ctx, c, testRealm, p, "rid-void-pay")
		}, paymentBody, "/payment",
			url.Values{"requestid": {"rid-void-pay"}, "operation": {"update"}, "include": {"void"}}, "void_payment.json"},
		{"delete invoice", func(ctx context.Context, c *Client) (any, error) {
			return nil, Delete(ctx, c, testRealm, Invoice{ID: "130", SyncToken: "5"}, "rid-delete")
		}, fixture(t, "responses/deleted.json"), "/invoice",
			url.Values{"requestid": {"rid-delete"}, "operation": {"delete"}}, "delete_invoice.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, ok(tt.reply))
			if _, err := tt.call(context.Background(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost {
				t.Errorf("method %s, want POST", r.Method)
			}
			if want := "/v3/company/" + testRealm + tt.path; r.Path != want {
				t.Errorf("path %s, want %s", r.Path, want)
			}
			wantQuery := url.Values{"minorversion": {"75"}}
			for k, v := range tt.query {
				wantQuery[k] = v
			}
			if diff := cmp.Diff(wantQuery, r.Query); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			checkHeaders(t, r, "application/json")
			golden(t, tt.golden, r.Body)
		})
	}
}

func checkHeaders(t *testing.T, r exchange, contentType string) {
	t.Helper()
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization %q, want the transport's bearer token", got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
}

func TestRead(t *testing.T) {
	f, c := newFake(t, reply{status: 200, body: fixture(t, "responses/invoice.json"),
		header: map[string]string{"intuit_tid": "1-6720c6f4-5f2b"}})
	inv, err := Read[Invoice](context.Background(), c, testRealm, "130")
	if err != nil {
		t.Fatal(err)
	}
	if inv.ID != "130" || inv.Balance != "362.07" {
		t.Errorf("read %+v", inv)
	}
	r := f.requests()[0]
	if r.Method != http.MethodGet || r.Path != "/v3/company/"+testRealm+"/invoice/130" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if diff := cmp.Diff(url.Values{"minorversion": {"75"}}, r.Query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if len(r.Body) != 0 || r.Header.Get("Content-Type") != "" {
		t.Errorf("GET sent a body %q with Content-Type %q", r.Body, r.Header.Get("Content-Type"))
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		t.Errorf("Authorization %q", r.Header.Get("Authorization"))
	}
}

func TestReadPointerType(t *testing.T) {
	_, c := newFake(t, ok(fixture(t, "responses/invoice.json")))
	inv, err := Read[*Invoice](context.Background(), c, testRealm, "130")
	if err != nil {
		t.Fatal(err)
	}
	if inv == nil || inv.DocNumber != "1037" {
		t.Errorf("read %+v", inv)
	}
}

func TestWithMinorVersion(t *testing.T) {
	f, c := newFake(t, ok(fixture(t, "responses/invoice.json")))
	c = New(c.hc, c.base, WithMinorVersion(76))
	if _, err := Read[Invoice](context.Background(), c, testRealm, "130"); err != nil {
		t.Fatal(err)
	}
	if got := f.requests()[0].Query.Get("minorversion"); got != "76" {
		t.Errorf("minorversion %s, want 76", got)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	long := "0123456789012345678901234567890123456789012345678901" // 52 characters
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"create with an Id", func(ctx context.Context, c *Client) error {
			_, err := Create(ctx, c, testRealm, Invoice{ID: "130", SyncToken: "1"}, "rid")
			return err
		}},
		{"update without SyncToken", func(ctx context.Context, c *Client) error {
			_, err := Update(ctx, c, testRealm, Customer{ID: "58", DisplayName: "x"}, "rid")
			return err
		}},
		{"update without Id", func(ctx context.Context, c *Client) error {
			_, err := Update(ctx, c, testRealm, Customer{SyncToken: "1"}, "rid")
			return err
		}},
		{"requestid over 50 characters", func(ctx context.Context, c *Client) error {
			_, err := Create(ctx, c, testRealm, Customer{DisplayName: "x"}, long)
			return err
		}},
		{"delete a customer", func(ctx context.Context, c *Client) error {
			return Delete(ctx, c, testRealm, Customer{ID: "58", SyncToken: "1"}, "rid")
		}},
		{"void a journal entry", func(ctx context.Context, c *Client) error {
			_, err := Void(ctx, c, testRealm, JournalEntry{ID: "80", SyncToken: "1"}, "rid")
			return err
		}},
		{"void without SyncToken", func(ctx context.Context, c *Client) error {
			_, err := Void(ctx, c, testRealm, Payment{ID: "163"}, "rid")
			return err
		}},
		{"create from a nil pointer", func(ctx context.Context, c *Client) error {
			_, err := Create[*Invoice](ctx, c, testRealm, nil, "rid")
			return err
		}},
		{"read without id", func(ctx context.Context, c *Client) error {
			_, err := Read[Invoice](ctx, c, testRealm, "")
			return err
		}},
		{"empty realm", func(ctx context.Context, c *Client) error {
			_, err := Read[Invoice](ctx, c, "", "130")
			return err
		}},
		{"query that pages itself", func(ctx context.Context, c *Client) error {
			_, err := QueryAll[Invoice](ctx, c, testRealm, "select * from Invoice maxresults 10")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, ok([]byte(`{}`)))
			err := tt.call(context.Background(), c)
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("err = %v, want ErrInvalidRequest", err)
			}
			if e := asError(err); e == nil || e.Temporary() || e.Validation() || e.Message == "" {
				t.Errorf("err %#v: want a non-retryable *Error with a message", err)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}
