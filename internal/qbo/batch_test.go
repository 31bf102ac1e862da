package qbo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBatch(t *testing.T) {
	f, c := newFake(t, ok(fixture(t, "responses/batch.json")))
	items := []BatchItem{
		{BID: "12", Operation: "update", Entity: Customer{ID: "NG:2285964", SyncToken: "215", Sparse: true, Active: Bool(false)}},
		{BID: "13", Query: "select * from Customer where DisplayName = " + Quote("0588e717") + " maxresults 1"},
		{BID: "14", Operation: "create", Entity: Invoice{DocNumber: "1037", CustomerRef: &Ref{Value: "24"}},
			Options: "allowduplicatedocnum"},
	}
	results, err := c.Batch(context.Background(), testRealm, items, "7c9e6679742540de944be07fc1f90ae7")
	if err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPost || r.Path != "/v3/company/"+testRealm+"/batch" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	want := url.Values{"minorversion": {"75"}, "requestid": {"7c9e6679742540de944be07fc1f90ae7"}}
	if diff := cmp.Diff(want, r.Query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	checkHeaders(t, r, "application/json")
	golden(t, "batch.json", r.Body)

	if len(results) != 3 {
		t.Fatalf("%d results, want 3", len(results))
	}
	cust, err := BatchEntity[Customer](results[0])
	if err != nil || cust.ID != "NG:2285964" || cust.SyncToken != "216" || *cust.Active || cust.CompanyName != "Company Name 34" {
		t.Errorf("item 12: %+v, %v", cust, err)
	}
	found, err := BatchQuery[Customer](results[1])
	if err != nil || len(found) != 1 || found[0].DisplayName != "0588e717-4c0f-4fb3-8e7c-7" {
		t.Errorf("item 13: %+v, %v", found, err)
	}
	fault := results[2].Err
	if results[2].BID != "14" || fault == nil {
		t.Fatalf("item 14: %+v", results[2])
	}
	if fault.Status != http.StatusOK || fault.Code != "500" || fault.Message != "Unsupported operation requested" ||
		fault.FaultType != "Validation" || fault.Op != "batch create Invoice (bId 14)" {
		t.Errorf("item 14 fault %#v", fault)
	}
	if fault.Temporary() || fault.Throttled() {
		t.Errorf("item 14 fault classified as retryable")
	}
	if _, err := BatchEntity[Invoice](results[2]); err != error(fault) {
		t.Errorf("BatchEntity of a fault = %v", err)
	}
	if _, err := BatchEntity[Invoice](results[0]); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("BatchEntity of the wrong type = %v", err)
	}
}

func TestBatchItemFaultClassified(t *testing.T) {
	body := `{"BatchItemResponse":[{"bId":"1","Fault":{"Error":[{"Message":"Duplicate Document Number Error",` +
		`"Detail":"Duplicate Document Number Error : You must specify a different number.","code":"6140","element":""}],` +
		`"type":"ValidationFault"}},{"bId":"2","Payment":{"Id":"9","SyncToken":"0","TotalAmt":0}}],"time":"2026-11-21T10:00:00Z"}`
	_, c := newFake(t, ok([]byte(body)))
	results, err := c.Batch(context.Background(), testRealm, []BatchItem{
		{BID: "1", Operation: "create", Entity: sampleInvoice()},
		{BID: "2", Operation: "create", Entity: creditApplication()},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if e := results[0].Err; e == nil || !e.DuplicateDocNumber() || !e.Validation() {
		t.Errorf("item 1: %#v", results[0].Err)
	}
	p, err := BatchEntity[Payment](results[1])
	if err != nil || p.ID != "9" || p.TotalAmt != "0" {
		t.Errorf("item 2: %+v, %v", p, err)
	}
}

func TestBatchRefusedBeforeSending(t *testing.T) {
	many := make([]BatchItem, 31)
	for i := range many {
		many[i] = BatchItem{BID: fmt.Sprint(i), Query: "select * from Item"}
	}
	tests := []struct {
		name      string
		items     []BatchItem
		requestID string
	}{
		{"31 items", many, ""},
		{"no items", nil, ""},
		{"requestid over 36", many[:1], "0123456789012345678901234567890123456"},
		{"bId over 10 with requestid", []BatchItem{{BID: "12345678901", Query: "select * from Item"}}, "rid"},
		{"duplicate bId", []BatchItem{{BID: "1", Query: "select * from Item"}, {BID: "1", Query: "select * from Item"}}, ""},
		{"empty bId", []BatchItem{{Query: "select * from Item"}}, ""},
		{"entity and query", []BatchItem{{BID: "1", Operation: "create", Entity: Item{}, Query: "select * from Item"}}, ""},
		{"no operation", []BatchItem{{BID: "1", Entity: Item{}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, ok(fixture(t, "responses/batch.json")))
			_, err := c.Batch(context.Background(), testRealm, tt.items, tt.requestID)
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
			if len(f.requests()) != 0 {
				t.Errorf("request sent")
			}
		})
	}
	// A long bId is fine without a requestid.
	f, c := newFake(t, ok([]byte(`{"BatchItemResponse":[]}`)))
	if _, err := c.Batch(context.Background(), testRealm, []BatchItem{{BID: "invoice-12345678", Query: "select * from Item"}}, ""); err != nil || len(f.requests()) != 1 {
		t.Errorf("long bId without requestid: %v", err)
	}
}
