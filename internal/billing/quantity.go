package billing

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Quantity limits: whole digits and decimals a quantity may have. With
// these, a quantity scaled by 10^6 always fits int64.
const (
	MaxQuantityWholeDigits = 12
	MaxQuantityDecimals    = 6
)

// Quantity is a non-negative decimal number kept as its exact text, such as
// "1", "1.5" or "0.125". Credits on an invoice are expressed with a
// negative unit amount, never a negative quantity.
type Quantity string

// ParseQuantity checks s: digits, an optional point followed by digits, at
// most MaxQuantityWholeDigits before and MaxQuantityDecimals after it. Its
// errors do not repeat the input, so they can be shown to senders as is.
func ParseQuantity(s string) (Quantity, error) {
	if _, _, err := checkDecimal(s, MaxQuantityWholeDigits, MaxQuantityDecimals,
		`must be a non-negative decimal number written as a string, like "1.5"`); err != nil {
		return "", err
	}
	return Quantity(s), nil
}

// checkDecimal checks decimal text: digits, an optional point followed by
// digits, at most maxWhole before and maxFrac after it; malformed is the
// error for text that is no decimal. It returns the two parts.
func checkDecimal(s string, maxWhole, maxFrac int, malformed string) (whole, frac string, err error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	switch {
	case whole == "" || !isDigits(whole) || hasPoint && (frac == "" || !isDigits(frac)):
		return "", "", errors.New(malformed)
	case len(whole) > maxWhole:
		return "", "", fmt.Errorf("must have at most %d digits before the decimal point", maxWhole)
	case len(frac) > maxFrac:
		return "", "", fmt.Errorf("must have at most %d decimals", maxFrac)
	}
	return whole, frac, nil
}

// String returns the quantity's decimal text.
func (q Quantity) String() string { return string(q) }

// UnmarshalText implements encoding.TextUnmarshaler with ParseQuantity's rules.
func (q *Quantity) UnmarshalText(b []byte) error {
	v, err := ParseQuantity(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// errAmountRange: a product too large for int64 minor units.
var errAmountRange = errors.New("amount out of range")

// MulAmount returns round(q × unit) in minor units, rounding half away from
// zero: "0.5" × 3 = 2 and "0.5" × -3 = -2. This is the contract's line
// amount rule and what most billing engines and spreadsheets do.
func (q Quantity) MulAmount(unit int64) (int64, error) {
	if _, err := ParseQuantity(string(q)); err != nil {
		return 0, err
	}
	whole, frac, _ := strings.Cut(string(q), ".")
	scale := len(frac)
	n, _ := new(big.Int).SetString(whole+frac, 10)
	p := n.Mul(n, big.NewInt(unit))
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	quo, rem := new(big.Int).QuoRem(p, div, new(big.Int))
	// |rem|*2 >= div: the dropped part is at least one half.
	if rem.Sign() != 0 && new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(div) >= 0 {
		quo.Add(quo, big.NewInt(int64(p.Sign())))
	}
	if !quo.IsInt64() {
		return 0, errAmountRange
	}
	return quo.Int64(), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
