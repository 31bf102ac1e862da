package billing

import (
	"errors"
	"strings"
)

// Limits of an exchange rate's text: QuickBooks keeps rates to a few
// decimals; ten are more than any published rate carries.
const (
	MaxRateWholeDigits = 9
	MaxRateDecimals    = 10
)

// ExchangeRate is how many units of the company's home currency one unit
// of the document's currency is worth, as exact decimal text ("1.0825").
// Empty means none given: QuickBooks applies its own rate.
type ExchangeRate string

// ParseExchangeRate checks s: a positive decimal written as a string. Its
// errors do not repeat the input, so they can be shown to senders as is.
func ParseExchangeRate(s string) (ExchangeRate, error) {
	whole, frac, err := checkDecimal(s, MaxRateWholeDigits, MaxRateDecimals,
		`must be a positive decimal number written as a string, like "1.0825"`)
	if err != nil {
		return "", err
	}
	if strings.Trim(whole+frac, "0") == "" {
		return "", errors.New("must be more than zero")
	}
	return ExchangeRate(s), nil
}

// String returns the rate's decimal text.
func (r ExchangeRate) String() string { return string(r) }

// UnmarshalText implements encoding.TextUnmarshaler with ParseExchangeRate's rules.
func (r *ExchangeRate) UnmarshalText(b []byte) error {
	v, err := ParseExchangeRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
