package money

import (
	"errors"
	"math/big"
	"testing"
)

func TestParseAndString(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"12", "12.00", nil},
		{"-3.5", "-3.50", nil},
		{"100.00", "100.00", nil},
		{"0.10000", "0.10", nil},
		{"1e2", "100.00", nil},
		{"0.105", "", ErrPrecision},
		{"abc", "", nil},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want error", tc.in, got)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("Parse(%q) error %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestRoundHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		num, den int64
		want     Amount
	}{
		{1, 200, 1},   // 0.005 → 0.01
		{-1, 200, -1}, // -0.005 → -0.01
		{1, 300, 0},   // 0.00333 → 0.00
		{2999, 1000, 300},
	}
	for _, tc := range tests {
		if got := Round(big.NewRat(tc.num, tc.den)); got != tc.want {
			t.Errorf("Round(%d/%d) = %d, want %d", tc.num, tc.den, got, tc.want)
		}
	}
}
