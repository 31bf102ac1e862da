package qbo

import (
	"encoding/json"
	"math"
	"testing"
)

func TestDecimal(t *testing.T) {
	tests := []struct {
		minor int64
		scale int
		want  json.Number
	}{
		{0, 2, "0.00"},
		{1, 2, "0.01"},
		{-1, 2, "-0.01"},
		{1050, 2, "10.50"},
		{-1050, 2, "-10.50"},
		{123456789, 2, "1234567.89"},
		{500, 0, "500"},
		{1, 3, "0.001"},
		{math.MaxInt64, 2, "92233720368547758.07"},
		{math.MinInt64, 2, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := Decimal(tt.minor, tt.scale); got != tt.want {
			t.Errorf("Decimal(%d, %d) = %s, want %s", tt.minor, tt.scale, got, tt.want)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	tests := []struct {
		in    json.Number
		scale int
		want  int64
		fails bool
	}{
		{"362.07", 2, 36207, false},
		{"-646.8", 2, -64680, false},
		{"275.0", 2, 27500, false},
		{"100", 2, 10000, false},
		{"0", 2, 0, false},
		{"12.500", 2, 1250, false},
		{"500", 0, 500, false},
		{"0.005", 2, 0, true},
		{"1e3", 2, 0, true},
		{"", 2, 0, true},
		{".5", 2, 0, true},
		{"1.2.3", 2, 0, true},
		{"99999999999999999999", 2, 0, true},
	}
	for _, tt := range tests {
		got, err := MinorUnits(tt.in, tt.scale)
		if (err != nil) != tt.fails || got != tt.want {
			t.Errorf("MinorUnits(%q, %d) = %d, %v; want %d (fails %v)", tt.in, tt.scale, got, err, tt.want, tt.fails)
		}
	}
	for _, minor := range []int64{0, 1, -1, 99, 100, -12345, math.MaxInt64} {
		if got, err := MinorUnits(Decimal(minor, 2), 2); err != nil || got != minor {
			t.Errorf("round trip of %d: %d, %v", minor, got, err)
		}
	}
}
