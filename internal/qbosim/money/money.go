// Package money holds the exact decimal arithmetic the QuickBooks Online
// simulator keeps its books in: amounts are int64 cents, never float64, and
// every rounding step is explicit (half away from zero, as QuickBooks rounds).
package money

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Amount is a money amount in cents.
type Amount int64

// ErrPrecision reports an amount with more than two significant decimals.
var ErrPrecision = errors.New("more than 2 decimal places")

// Parse reads a decimal such as "12", "-3.5" or "100.00" exactly. Trailing
// zeros beyond the cents are accepted; any other extra precision is
// ErrPrecision, because a currency amount cannot hold it.
func Parse(s string) (Amount, error) {
	r, err := ParseRat(s)
	if err != nil {
		return 0, err
	}
	c := new(big.Rat).Mul(r, big.NewRat(100, 1))
	if !c.IsInt() {
		return 0, fmt.Errorf("amount %q: %w", s, ErrPrecision)
	}
	if !c.Num().IsInt64() {
		return 0, fmt.Errorf("amount %q out of range", s)
	}
	return Amount(c.Num().Int64()), nil
}

// ParseRat reads a plain decimal number (optionally with an exponent) as an
// exact rational.
func ParseRat(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "/") {
		return nil, fmt.Errorf("invalid number %q", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("invalid number %q", s)
	}
	return r, nil
}

// Round returns r rounded to cents, half away from zero.
func Round(r *big.Rat) Amount {
	c := new(big.Rat).Mul(r, big.NewRat(100, 1))
	num, den := c.Num(), c.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// |m|*2 >= den rounds away from zero.
	m.Abs(m).Mul(m, big.NewInt(2))
	if m.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return Amount(q.Int64())
}

// Rat returns a as an exact rational number of currency units.
func (a Amount) Rat() *big.Rat { return big.NewRat(int64(a), 100) }

// MulRat returns a×r rounded to cents.
func (a Amount) MulRat(r *big.Rat) Amount { return Round(new(big.Rat).Mul(a.Rat(), r)) }

// String formats a with exactly two decimals, e.g. "-12.30".
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return sign + strconv.FormatInt(v/100, 10) + "." + fmt.Sprintf("%02d", v%100)
}

// Abs returns the absolute value of a.
func (a Amount) Abs() Amount {
	if a < 0 {
		return -a
	}
	return a
}

// Min returns the smaller of a and b.
func Min(a, b Amount) Amount {
	if a < b {
		return a
	}
	return b
}
