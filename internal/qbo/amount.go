package qbo

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Decimal formats an amount in minor units as a QBO decimal with scale
// fraction digits, exactly: Decimal(-1050, 2) is "-10.50".
func Decimal(minor int64, scale int) json.Number {
	neg := minor < 0
	abs := uint64(minor)
	if neg {
		abs = -abs // two's complement: also right for math.MinInt64
	}
	digits := strconv.FormatUint(abs, 10)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return json.Number(digits)
}

// MinorUnits parses a QBO decimal such as "-646.8" into minor units of the
// given scale (-64680 for scale 2). It fails rather than round when n has
// more significant fraction digits than scale, and on exponents or overflow.
func MinorUnits(n json.Number, scale int) (int64, error) {
	s := string(n)
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(body, ".")
	frac = strings.TrimRight(frac, "0")
	if whole == "" || !isDigits(whole) || !isDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a plain decimal", s)
	}
	if len(frac) > scale {
		return 0, fmt.Errorf("amount %q has more than %d fraction digits", s, scale)
	}
	v, err := strconv.ParseUint(whole+frac+strings.Repeat("0", scale-len(frac)), 10, 64)
	if err != nil || v > math.MaxInt64 {
		return 0, fmt.Errorf("amount %q out of range", s)
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
