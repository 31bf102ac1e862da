package billing

import "testing"

func TestParseExchangeRate(t *testing.T) {
	for _, ok := range []string{"1", "1.0825", "0.0000012345", "123456789.5"} {
		if _, err := ParseExchangeRate(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "0", "0.000", "-1.2", "1.", ".5", "1e3", "1,5", "1234567890", "1.12345678901"} {
		if _, err := ParseExchangeRate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
