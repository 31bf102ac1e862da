package billing

import "strings"

// Limits on identifiers. Entity ids become parts of DynamoDB keys joined
// with '#', and tenant ids appear in URLs and queue group ids, so both use a
// small character set without '#'.
const (
	MaxTenantLen   = 63
	MaxEntityIDLen = 64
	MaxEventIDLen  = 128
)

// ValidTenant reports whether s is a well-formed tenant (billing account)
// id: [a-z0-9][a-z0-9_-]{0,62}.
func ValidTenant(s string) bool {
	if len(s) == 0 || len(s) > MaxTenantLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ValidEntityID reports whether s is a well-formed entity id:
// 1–64 characters of [A-Za-z0-9._:-].
func ValidEntityID(s string) bool {
	if len(s) == 0 || len(s) > MaxEntityIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// ValidEventID reports whether s is a well-formed event id: 1–128 visible
// ASCII characters (0x21–0x7E; no spaces).
func ValidEventID(s string) bool {
	if len(s) == 0 || len(s) > MaxEventIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validEmail is deliberately loose: one '@' with text on both sides, a dot
// in the domain, no spaces or control characters. Deliverability is not
// the webhook's business.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// validCountry accepts an ISO 3166-1 alpha-2 shaped code (two upper-case
// letters). The list of assigned codes changes; the shape does not.
func validCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
