package qbo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// MaxResults is the largest page QBO returns for a query.
const MaxResults = 1000

// Query runs a statement such as "SELECT * FROM Customer WHERE DisplayName
// = " + Quote(name) and returns the matching objects of T. QBO returns 100
// rows unless the statement has MAXRESULTS; QueryAll reads every page.
// Inactive name-list objects are only returned when the statement asks for
// them (Active = false, or Active IN (true, false)).
func Query[T Entity](ctx context.Context, d Doer, realmID, stmt string) ([]T, error) {
	name := entityName[T]()
	qr, err := query(ctx, d, realmID, "query "+name, stmt)
	if err != nil {
		return nil, err
	}
	var out []T
	if raw, ok := qr.field(name); ok {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, malformed("query "+name, http.StatusOK, "", "%s: %v", name, err)
		}
	}
	return out, nil
}

// QueryAll runs stmt page by page (STARTPOSITION, MAXRESULTS 1000) until a
// short page. stmt must not page itself; give it an ORDERBY so that pages
// do not shift while they are read.
func QueryAll[T Entity](ctx context.Context, d Doer, realmID, stmt string) ([]T, error) {
	name := entityName[T]()
	upper := strings.ToUpper(withoutLiterals(stmt))
	if strings.Contains(upper, "STARTPOSITION") || strings.Contains(upper, "MAXRESULTS") {
		return nil, invalid("query "+name, "statement already pages")
	}
	var all []T
	for start := 1; ; start += MaxResults {
		page, err := Query[T](ctx, d, realmID, fmt.Sprintf("%s STARTPOSITION %d MAXRESULTS %d", stmt, start, MaxResults))
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < MaxResults {
			return all, nil
		}
	}
}

// Count runs a "SELECT COUNT(*) FROM ..." statement and returns totalCount.
func (c *Client) Count(ctx context.Context, realmID, stmt string) (int, error) {
	qr, err := query(ctx, c, realmID, "count", stmt)
	if err != nil {
		return 0, err
	}
	var n int
	if raw, ok := qr.field("totalCount"); ok {
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, malformed("count", http.StatusOK, "", "totalCount: %v", err)
		}
	}
	return n, nil
}

// query posts stmt as the body (Content-Type application/text), so the
// statement is never URL-encoded, and returns the QueryResponse object.
// An empty result is {"QueryResponse":{}}.
func query(ctx context.Context, d Doer, realmID, op, stmt string) (Envelope, error) {
	env, err := d.Do(ctx, Request{Op: op, Method: http.MethodPost, RealmID: realmID, Path: "query",
		Body: []byte(stmt), ContentType: "application/text"})
	if err != nil {
		return nil, err
	}
	var qr Envelope
	if err := env.decode(op, "QueryResponse", &qr); err != nil {
		return nil, err
	}
	return qr, nil
}

// Preferences returns the company's preferences.
func (c *Client) Preferences(ctx context.Context, realmID string) (Preferences, error) {
	return ReadPreferences(ctx, c, realmID)
}

// ReadPreferences returns the company's preferences.
func ReadPreferences(ctx context.Context, d Doer, realmID string) (Preferences, error) {
	var p Preferences
	env, err := d.Do(ctx, Request{Op: "read Preferences", Method: http.MethodGet, RealmID: realmID, Path: "preferences"})
	if err == nil {
		err = env.decode("read Preferences", "Preferences", &p)
	}
	return p, err
}

// CompanyInfo returns the company's description.
func (c *Client) CompanyInfo(ctx context.Context, realmID string) (CompanyInfo, error) {
	var ci CompanyInfo
	env, err := c.Do(ctx, Request{Op: "read CompanyInfo", Method: http.MethodGet, RealmID: realmID,
		Path: "companyinfo/" + url.PathEscape(realmID)})
	if err == nil {
		err = env.decode("read CompanyInfo", "CompanyInfo", &ci)
	}
	return ci, err
}

// Quote returns s as a query string literal: Normalize(s) in single
// quotes, with backslashes and apostrophes escaped by a backslash (QBO
// does not accept SQL's doubled quote).
func Quote(s string) string {
	s = Normalize(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s + "'"
}

// QuoteList returns ss as the list of an `in (…)` condition: each quoted
// as Quote does, separated by commas.
func QuoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return strings.Join(q, ", ")
}

// typographic maps characters QBO's query parser rejects to ASCII.
var typographic = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201A", "'", "\u201B", "'", "\u02BC", "'", "\u2032", "'",
	"\u201C", `"`, "\u201D", `"`, "\u201E", `"`, "\u2033", `"`,
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2015", "-", "\u2212", "-",
)

// Normalize replaces typographic apostrophes, quotes and dashes with their
// ASCII forms and drops control characters, which break QBO's query
// parser. Names a sync creates (DisplayName, Item Name) should be
// normalized too, so that a later lookup by Quote finds them.
func Normalize(s string) string {
	s = typographic.Replace(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// withoutLiterals blanks the contents of quoted literals so that keywords
// are only found in the statement itself.
func withoutLiterals(stmt string) string {
	var b strings.Builder
	in, escaped := false, false
	for _, r := range stmt {
		switch {
		case escaped:
			escaped = false
			continue
		case in && r == '\\':
			escaped = true
			continue
		case r == '\'':
			in = !in
		case in:
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
