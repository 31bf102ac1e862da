package money

import (
	"math"
	"testing"
)

func TestExponent(t *testing.T) {
	tests := []struct {
		code string
		want int
		ok   bool
	}{
		{"USD", 2, true}, {"EUR", 2, true}, {"GBP", 2, true},
		{"JPY", 0, true}, {"KRW", 0, true}, {"CLP", 0, true}, {"VND", 0, true}, {"ISK", 0, true},
		{"KWD", 3, true}, {"BHD", 3, true}, {"JOD", 3, true}, {"OMR", 3, true},
		{"TND", 3, true}, {"IQD", 3, true}, {"LYD", 3, true},
		{"CLF", 4, true}, {"UYW", 4, true},
		{"usd", 0, false}, {"", 0, false}, {"XAU", 0, false}, {"XXX", 0, false}, {"ABC", 0, false},
	}
	for _, tt := range tests {
		got, ok := Exponent(tt.code)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Exponent(%q) = %d, %v; want %d, %v", tt.code, got, ok, tt.want, tt.ok)
		}
		if Known(tt.code) != tt.ok {
			t.Errorf("Known(%q) = %v; want %v", tt.code, !tt.ok, tt.ok)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{1999, "USD", "19.99"},
		{-5, "USD", "-0.05"},
		{0, "USD", "0.00"},
		{5, "USD", "0.05"},
		{100, "USD", "1.00"},
		{-100, "EUR", "-1.00"},
		{1999, "JPY", "1999"},
		{-1999, "JPY", "-1999"},
		{0, "JPY", "0"},
		{1234, "KWD", "1.234"},
		{5, "KWD", "0.005"},
		{-50, "BHD", "-0.050"},
		{1, "CLF", "0.0001"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
		{math.MinInt64, "USD", "-92233720368547758.08"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
	}
	for _, tt := range tests {
		got, err := Format(tt.minor, tt.code)
		if err != nil || got != tt.want {
			t.Errorf("Format(%d, %s) = %q, %v; want %q", tt.minor, tt.code, got, err, tt.want)
		}
	}
	if _, err := Format(1, "XYZ"); err == nil {
		t.Error("Format with unknown currency: want error")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		code string
		want int64
	}{
		{"19.99", "USD", 1999},
		{"19.9", "USD", 1990},
		{"20", "USD", 2000},
		{"-0.05", "USD", -5},
		{"0", "USD", 0},
		{"-0", "USD", 0},
		{"007.10", "USD", 710},
		{"1999", "JPY", 1999},
		{"1.234", "KWD", 1234},
		{"1.2", "KWD", 1200},
		{"92233720368547758.07", "USD", math.MaxInt64},
		{"-92233720368547758.08", "USD", math.MinInt64},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.code)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d", tt.in, tt.code, got, err, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ in, code string }{
		{"19.999", "USD"},                // more decimals than USD has
		{"1999.0", "JPY"},                // JPY has none
		{"1.2345", "KWD"},                // KWD has three
		{"", "USD"},                      // empty
		{"-", "USD"},                     // sign only
		{"+1.00", "USD"},                 // plus sign
		{"1.", "USD"},                    // no digit after the point
		{".5", "USD"},                    // no digit before the point
		{"1e3", "USD"},                   // exponent
		{"1,000.00", "USD"},              // separator
		{" 1.00", "USD"},                 // space
		{"1.0.0", "USD"},                 // two points
		{"--1", "USD"},                   // two signs
		{"92233720368547758.08", "USD"},  // one past MaxInt64
		{"-92233720368547758.09", "USD"}, // one past MinInt64
		{"99999999999999999999", "JPY"},  // far out of range
		{"1.00", "XYZ"},                  // unknown currency
	}
	for _, tt := range tests {
		if got, err := Parse(tt.in, tt.code); err == nil {
			t.Errorf("Parse(%q, %s) = %d; want error", tt.in, tt.code, got)
		}
	}
}

func TestFormatParseRoundTrip(t *testing.T) {
	for _, code := range []string{"USD", "JPY", "KWD", "CLF"} {
		for _, v := range []int64{0, 1, -1, 7, 10, 99, 100, 101, 123456789, -987654321, math.MaxInt64, math.MinInt64} {
			s, err := Format(v, code)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(s, code)
			if err != nil || back != v {
				t.Errorf("%s: %d → %q → %d, %v", code, v, s, back, err)
			}
		}
	}
}
