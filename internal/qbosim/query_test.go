package qbosim_test

import (
	"net/http"
	"net/url"
	"testing"
)

func names(rows []any, key string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, str(r.(map[string]any), key))
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The query language: \' escapes, AND, comparison operators, IN, LIKE,
// ORDERBY, paging, count(*), over GET and POST (application/text).
func TestQueryLanguage(t *testing.T) {
	s := newSim(t, "", unlimited)
	for _, n := range []string{"O'Brien", "Acme", "Acme West", "Zed", "acorn"} {
		s.customer(n)
	}
	inactive := s.customer("Retired")
	s.ok("Customer", "", map[string]any{"Id": inactive, "SyncToken": "0", "sparse": true, "Active": false})
	tests := []struct {
		query string
		want  []string
	}{
		{`select * from Customer where DisplayName = 'O\'Brien'`, []string{"O'Brien"}},
		{`SELECT * FROM customer WHERE DisplayName LIKE 'ac%' ORDERBY DisplayName DESC`, []string{"acorn", "Acme West", "Acme"}},
		{`select * from Customer where DisplayName IN ('Zed', 'Acme') ORDERBY DisplayName`, []string{"Acme", "Zed"}},
		{`select * from Customer where DisplayName > 'Acme' and DisplayName < 'Zed' orderby DisplayName`, []string{"Acme West", "acorn", "O'Brien"}},
		{`select * from Customer where DisplayName = 'acme'`, []string{"Acme"}},
		{`select * from Customer orderby DisplayName startposition 2 maxresults 2`, []string{"Acme West", "acorn"}},
		{`select * from Customer where Active = false`, []string{"Retired (deleted)"}},
		{`select * from Customer where Active IN (true, false) and DisplayName LIKE 'R%'`, []string{"Retired (deleted)"}},
		{`select * from Customer where DisplayName = 'Retired'`, nil},
		{`select * from Customer where Id >= '21' and Id <= '22' ORDERBY Id`, []string{"Acme", "Acme West"}},
		{`select * from Customer where MetaData.CreateTime >= '2026-03-15T00:00:00Z' and DisplayName = 'Zed'`, []string{"Zed"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			qr := s.query(tc.query)
			got := names(list(qr, "Customer"), "DisplayName")
			if !equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if tc.want == nil && len(qr) != 0 {
				t.Errorf("empty result = %v, want {}", qr)
			}
		})
	}
	t.Run("count", func(t *testing.T) {
		if got := str(s.query(`select count(*) from Customer`), "totalCount"); got != "5" {
			t.Errorf("count(*) = %s, want 5 active", got)
		}
	})
	t.Run("POST application/text", func(t *testing.T) {
		r := s.api(http.MethodPost, "query?minorversion=75", `select * from Customer where DisplayName = 'Zed'`)
		qr := obj(r.body, "QueryResponse")
		if r.status != http.StatusOK || str(qr, "startPosition") != "1" || str(qr, "maxResults") != "1" {
			t.Errorf("POST query: %d %s", r.status, r.raw)
		}
	})
	t.Run("selected columns", func(t *testing.T) {
		rows := list(s.query(`select Id, DisplayName from Customer where DisplayName = 'Zed'`), "Customer")
		if len(rows) != 1 || len(rows[0].(map[string]any)) != 2 {
			t.Errorf("rows = %v", rows)
		}
	})
}

// Query errors: 4000 for what does not parse (OR, ” doubling, an
// unterminated or backslash-ended literal), 4001 for what is not queryable
// or out of range.
func TestQueryErrors(t *testing.T) {
	s := newSim(t, "")
	tests := []struct {
		query, code string
	}{
		{`select * from Customer where DisplayName = 'a' or DisplayName = 'b'`, "4000"},
		{`select * from Customer where DisplayName = 'O''Brien'`, "4000"},
		{`select * from Customer where DisplayName = 'O'Brien'`, "4000"},
		{`select * from Customer where DisplayName = 'trailing\'`, "4000"},
		{`select * from Customer where DisplayName != 'x'`, "4000"},
		{`select from Customer`, "4000"},
		{`select * from Customer where PrimaryEmailAddr = 'a@b.c'`, "4001"},
		{`select * from Customer where Nonsense = 'x'`, "4001"},
		{`select * from Customer ORDERBY Notes`, "4001"},
		{`select * from Customer MAXRESULTS 1001`, "4001"},
		{`select * from Vendor`, "4001"},
		{`select * from Customer where Balance LIKE '1%'`, "4001"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := s.api(http.MethodGet, "query?query="+url.QueryEscape(tc.query), nil)
			wantFault(t, r, http.StatusBadRequest, tc.code)
		})
	}
}

// Transactions filter on their documented properties: DocNumber, TxnDate,
// CustomerRef, Balance, TotalAmt.
func TestQueryTransactions(t *testing.T) {
	s := newSim(t, "")
	noAutoApply(s)
	a, b := s.customer("A"), s.customer("B")
	s.invoice(a, "10", map[string]any{"TxnDate": "2026-01-05", "DocNumber": "A-1"})
	s.invoice(a, "20", map[string]any{"TxnDate": "2026-02-05", "DocNumber": "A-2"})
	s.invoice(b, "30", map[string]any{"TxnDate": "2026-03-05", "DocNumber": "B-1"})
	tests := []struct {
		query string
		want  []string
	}{
		{`select * from Invoice where CustomerRef = '` + a + `' ORDERBY TxnDate DESC`, []string{"A-2", "A-1"}},
		{`select * from Invoice where TxnDate >= '2026-02-01' ORDERBY DocNumber`, []string{"A-2", "B-1"}},
		{`select * from Invoice where Balance > '15' and TotalAmt <= 20`, []string{"A-2"}},
		{`select * from Invoice where DocNumber = 'b-1'`, []string{"B-1"}},
	}
	for _, tc := range tests {
		if got := names(list(s.query(tc.query), "Invoice"), "DocNumber"); !equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
}
