// Package money formats and parses amounts held as integers in minor units
// of an ISO 4217 currency. It never uses floating point: every conversion
// between minor units and decimal text is exact.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrUnknownCurrency is returned for a code that is not an active ISO 4217
// currency with a defined number of minor units.
var ErrUnknownCurrency = errors.New("unknown currency")

// Exponent returns the number of minor-unit digits of an active ISO 4217
// currency (2 for USD, 0 for JPY, 3 for KWD) and whether code is known.
// Codes are upper case; lower-case input is not accepted.
func Exponent(code string) (int, bool) {
	e, ok := exponents[code]
	return e, ok
}

// Known reports whether code is an active ISO 4217 currency code.
func Known(code string) bool {
	_, ok := exponents[code]
	return ok
}

// Format renders an amount in minor units as exact decimal text with the
// currency's number of decimals: Format(1999, "USD") = "19.99",
// Format(-5, "USD") = "-0.05", Format(1999, "JPY") = "1999".
func Format(minor int64, code string) (string, error) {
	exp, ok := exponents[code]
	if !ok {
		return "", fmt.Errorf("format %d %q: %w", minor, code, ErrUnknownCurrency)
	}
	neg := minor < 0
	// The magnitude of math.MinInt64 does not fit int64; uint64 holds it.
	mag := uint64(minor)
	if neg {
		mag = -mag
	}
	digits := strconv.FormatUint(mag, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		digits = "-" + digits
	}
	return digits, nil
}

// Parse reads exact decimal text ("19.99", "-0.05", "19.9", "20") as minor
// units of code. It rejects more decimals than the currency has, a missing
// digit on either side of the point, signs other than a leading '-',
// exponents, separators and values that do not fit int64.
func Parse(s, code string) (int64, error) {
	exp, ok := exponents[code]
	if !ok {
		return 0, fmt.Errorf("parse %q %q: %w", s, code, ErrUnknownCurrency)
	}
	text := s
	neg := strings.HasPrefix(text, "-")
	if neg {
		text = text[1:]
	}
	whole, frac, hasPoint := strings.Cut(text, ".")
	switch {
	case whole == "" || !digitsOnly(whole):
		return 0, fmt.Errorf("parse %q: not a decimal number", s)
	case hasPoint && (frac == "" || !digitsOnly(frac)):
		return 0, fmt.Errorf("parse %q: not a decimal number", s)
	case len(frac) > exp:
		return 0, fmt.Errorf("parse %q: %s has %d decimals", s, code, exp)
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	mag, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %q: out of range", s)
	}
	if neg {
		if mag > uint64(math.MaxInt64)+1 {
			return 0, fmt.Errorf("parse %q: out of range", s)
		}
		return int64(-mag), nil
	}
	if mag > math.MaxInt64 {
		return 0, fmt.Errorf("parse %q: out of range", s)
	}
	return int64(mag), nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
