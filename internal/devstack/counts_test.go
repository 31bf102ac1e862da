package devstack

import (
	"net/http"
	"testing"
)

func TestQBOKeyLeavesOutRealmAndIDs(t *testing.T) {
	tests := []struct{ method, url, want string }{
		{"POST", "/v3/company/9130/invoice?requestid=abc&minorversion=75", "POST invoice"},
		{"GET", "/v3/company/9130/invoice/42?minorversion=75", "GET invoice/{id}"},
		{"POST", "/v3/company/9130/invoice?operation=void", "POST invoice?operation=void"},
		{"GET", "/v3/company/9130/query?query=select+*+from+Invoice", "GET query"},
		{"GET", "/v3/company/9130/companyinfo/9130", "GET companyinfo/{id}"},
		{"POST", "/oauth2/v1/tokens/bearer", "POST /oauth2/v1/tokens/bearer"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest(tc.method, "http://sim"+tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := qboKey(req); got != tc.want {
			t.Errorf("%s %s: key %q, want %q", tc.method, tc.url, got, tc.want)
		}
	}
}
