package billing

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

// The date and instant grammars are written once, as regular expressions
// that both Go and ECMA-262 read the same way, so that the published JSON
// Schema (a pattern) and the webhook give one verdict on every string: a
// "format" alone is only an annotation to many validators.

// datePattern matches an existing day YYYY-MM-DD, leap years included, in
// the years that year, twoDigits and century describe: year matches the
// four digits, twoDigits the first two of a leap year that is not a
// century, century the first two of a leap century.
func datePattern(year, twoDigits, century string) string {
	common := year + `-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))`
	leap := `(?:` + twoDigits + `(?:0[48]|[2468][048]|[13579][26])|` + century + `00)-02-29`
	return `(?:` + common + `|` + leap + `)`
}

// dateGrammar is accounting date, year 1900 or later.
var dateGrammar = `^` + datePattern(`(?:19|[2-9][0-9])[0-9]{2}`, `(?:19|[2-9][0-9])`, `(?:[2468][048]|[3579][26])`) + `$`

// instantGrammar is RFC 3339 date-time with a zone. RFC 3339 §5.6 lets
// "T" and "Z" be lower case; the fraction follows a full stop (ISO 8601's
// comma is not RFC 3339); the offset's hour is 00–23 and its minute 00–59;
// a leap second (:60) is refused, as Go's time package cannot hold one.
var instantGrammar = `^` + datePattern(`[0-9]{4}`, `[0-9]{2}`, `(?:[02468][048]|[13579][26])`) +
	`[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`

var instantRE = regexp.MustCompile(instantGrammar)

// ParseInstant reads an occurred_at value by instantGrammar. Its error
// does not repeat the input, so it can be shown to senders as is.
func ParseInstant(s string) (time.Time, error) {
	bad := errors.New("must be an RFC 3339 date and time with a zone, like 2026-11-21T10:15:00Z")
	if !instantRE.MatchString(s) {
		return time.Time{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, bad
	}
	return t, nil
}
