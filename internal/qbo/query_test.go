package qbo

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme", `'Acme'`},
		{"O'Brien", `'O\'Brien'`},
		{"O\u2019Brien", `'O\'Brien'`},         // typographic apostrophe
		{"\u2018Quoted\u2019", `'\'Quoted\''`}, // left and right single quotes
		{"Smith \u2013 Jones", `'Smith - Jones'`},
		{"A\u2014B", `'A-B'`},
		{`Case preparation b\`, `'Case preparation b\\'`}, // trailing backslash
		{`Smith\'s Shop`, `'Smith\\\'s Shop'`},            // backslash cannot unescape the quote
		{"Tab\tand\nnewline", `'Tabandnewline'`},
		{"", `''`},
		{"Café 東京", `'Café 東京'`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestQuoteList(t *testing.T) {
	if got, want := QuoteList([]string{"21", "O'Brien"}), `'21', 'O\'Brien'`; got != want {
		t.Errorf("QuoteList = %s, want %s", got, want)
	}
}

func TestQuoteEndsTheLiteralExactlyOnce(t *testing.T) {
	for _, s := range []string{`a\`, `a\\`, `'`, `\'`, `'\`, "x\u2019\\"} {
		stmt := "select * from Customer where DisplayName = " + Quote(s) + " and Active = true"
		if got := withoutLiterals(stmt); got != "select * from Customer where DisplayName = '' and Active = true" {
			t.Errorf("Quote(%q) leaks out of its literal: %s", s, got)
		}
	}
}

func TestQuery(t *testing.T) {
	f, c := newFake(t, ok(fixture(t, "responses/query_account.json")))
	stmt := "select * from Account where Name = " + Quote("Owner's Equity") + " and Active IN (true, false)"
	accounts, err := Query[Account](context.Background(), c, testRealm, stmt)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 4 {
		t.Fatalf("%d accounts, want 4", len(accounts))
	}
	a := accounts[0]
	if a.ID != "13320" || a.AccountType != "Accounts Receivable" || a.AccountSubType != "AccountsReceivable" ||
		a.CurrentBalance != "-646.8" || a.Classification != "Asset" || *a.Active != true || a.CurrencyRef.Value != "USD" {
		t.Errorf("first account %+v", a)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPost || r.Path != "/v3/company/"+testRealm+"/query" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if string(r.Body) != stmt {
		t.Errorf("body %q, want the statement as is %q", r.Body, stmt)
	}
	if !strings.Contains(string(r.Body), `'Owner\'s Equity'`) {
		t.Errorf("body %q lost the escape", r.Body)
	}
	if r.Query.Get("minorversion") != "75" || r.Query.Has("query") || r.Query.Has("requestid") {
		t.Errorf("query string %v", r.Query)
	}
	checkHeaders(t, r, "application/text")
}

func TestQueryEmptyResult(t *testing.T) {
	_, c := newFake(t, ok(fixture(t, "responses/query_empty.json")))
	got, err := Query[Customer](context.Background(), c, testRealm, "select * from Customer where DisplayName = 'Nobody'")
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v; want no rows and no error", got, err)
	}
}

func TestQueryAllPages(t *testing.T) {
	page := func(from, n int) []byte {
		var b strings.Builder
		b.WriteString(`{"QueryResponse":{"Invoice":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Id":"%d","SyncToken":"0"}`, from+i)
		}
		fmt.Fprintf(&b, `],"startPosition":%d,"maxResults":%d},"time":"2026-11-21T10:00:00Z"}`, from, n)
		return []byte(b.String())
	}
	f, c := newFake(t, ok(page(1, 1000)), ok(page(1001, 1000)), ok(page(2001, 3)))
	stmt := "select * from Invoice where DocNumber = 'startposition maxresults' orderby Id"
	all, err := QueryAll[Invoice](context.Background(), c, testRealm, stmt)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2003 || all[0].ID != "1" || all[2002].ID != "2003" {
		t.Fatalf("got %d invoices", len(all))
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, start := range []int{1, 1001, 2001} {
		want := fmt.Sprintf("%s STARTPOSITION %d MAXRESULTS 1000", stmt, start)
		if string(reqs[i].Body) != want {
			t.Errorf("page %d body %q, want %q", i, reqs[i].Body, want)
		}
	}
}

func TestQueryAllStopsOnEmptyPage(t *testing.T) {
	f, c := newFake(t, ok(fixture(t, "responses/query_empty.json")))
	all, err := QueryAll[Customer](context.Background(), c, testRealm, "select * from Customer")
	if err != nil || len(all) != 0 || len(f.requests()) != 1 {
		t.Errorf("got %d rows, err %v after %d requests", len(all), err, len(f.requests()))
	}
}

func TestCount(t *testing.T) {
	f, c := newFake(t, ok(fixture(t, "responses/count.json")))
	n, err := c.Count(context.Background(), testRealm, "select count(*) from Invoice where Balance > '0'")
	if err != nil || n != 42 {
		t.Errorf("Count = %d, %v; want 42", n, err)
	}
	if got := string(f.requests()[0].Body); got != "select count(*) from Invoice where Balance > '0'" {
		t.Errorf("body %q", got)
	}
}

func TestQueryFault(t *testing.T) {
	_, c := newFake(t, reply{status: 400, body: fixture(t, "faults/query_4000.json")})
	_, err := Query[Customer](context.Background(), c, testRealm, "select * from Customer where DisplayName = 'O'Brien'")
	e := asError(err)
	if e == nil || e.Code != "4000" || !e.Validation() || e.Op != "query Customer" {
		t.Errorf("err = %v", err)
	}
}
