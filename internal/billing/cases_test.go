package billing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// diffCase is one body of the differential test. valid: generated to be
// valid, so every judge must accept it.
type diffCase struct {
	name  string
	body  []byte
	valid bool
}

func countValid(cases []diffCase) int {
	n := 0
	for _, c := range cases {
		if c.valid {
			n++
		}
	}
	return n
}

// mutations are the values put in place of every leaf of every sample:
// the edges of each rule of docs/webhooks.md, as raw JSON.
var mutations = func() []string {
	m := []string{
		`null`, `0`, `-1`, `1`, `1.5`, `1999.0`, `2e3`, `1e300`, `true`, `{}`, `[]`, `"1"`,
		`999999999999999`, `1000000000000000`, `-999999999999999`, `-1000000000000000`,
		`9223372036854775807`, `9223372036854775808`,
		// Characters.
		`""`, `"   "`, `"\u00a0"`, `"\t"`, `"\f"`, `"\u000b "`, `"a\u0085b"`, `"\u009f"`, `"x\u007fy"`,
		`"\u2028"`, `"\u3000"`, `"\u200b"`, `"\ufeff"`, `" x "`, `"é"`, `"日本語"`, `"😀"`, `"line\nbreak\r\n"`, `"tab\there"`,
		// Emails.
		`"a@b.c"`, `"a@b"`, `"@b.c"`, `"a@.b"`, `"a@b."`, `"a@@b.c"`, `"a b@c.d"`, `"a\u00a0b@x.y"`, `"a@b..c"`, `"ä@ö.ü"`,
		// Codes.
		`"usd"`, `"XYZ"`, `"EUR"`, `"JPY"`, `"XAU"`, `"US"`, `"us"`, `"USA"`,
		// Dates and instants.
		`"2026-02-29"`, `"2024-02-29"`, `"1900-02-29"`, `"2000-02-29"`, `"1899-12-31"`, `"1900-01-01"`,
		`"2026-13-01"`, `"2026-11-31"`, `"2026-1-01"`, `"9999-12-31"`,
		`"2026-11-21T10:15:00Z"`, `"2026-11-21t10:15:00z"`, `"2026-11-21 10:15:00Z"`, `"2026-11-21T10:15:00+0900"`,
		`"2026-11-21T10:15:00,5Z"`, `"2026-11-21T10:15:00.5-00:00"`, `"2026-11-21T10:15:00+24:00"`,
		`"2026-12-31T23:59:60Z"`, `"2026-02-29T10:00:00Z"`, `"2024-02-29T10:00:00.123456789123+05:30"`,
		`"2026-11-21T10:15:00"`, `"2026-11-21T10:15Z"`, `"0000-01-01T00:00:00Z"`,
		// Quantities.
		`"1.5"`, `"-3"`, `"3e0"`, `"0"`, `"123456789012"`, `"1234567890123"`, `"1.123456"`, `"1.1234567"`, `".5"`, `"5."`, `"+1"`,
		// Ids, enums and types.
		`"cus 1"`, `"cus#1"`, `"cus_1"`, `"a.b:c-d_e"`, `"card"`, `"wire"`, `"voided"`, `"paid"`, `"draft"`,
		`"invoice.created"`, `"invoice.voided"`, `"invoice.deleted"`, `"customer.voided"`, `"order.created"`, `"evt 1"`,
	}
	for _, n := range []int{21, 22, 30, 31, 64, 65, 100, 101, 128, 129, 4000, 4001} {
		m = append(m, strconv.Quote(strings.Repeat("x", n)))
	}
	return m
}()

// differentialCases: the samples, generated valid events, and every
// sample with each leaf replaced by each mutation, each field removed, an
// unknown field added to each object, and a duplicate key.
func differentialCases(t *testing.T) []diffCase {
	t.Helper()
	var cases []diffCase
	for _, f := range sampleFiles(t) {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		cases = append(cases, diffCase{name: name, body: body, valid: true})
		for _, path := range paths(decodeExact(t, body), nil) {
			p := strings.Join(path, ".")
			cases = append(cases, diffCase{name: name + " without " + p, body: setPath(t, body, path, "")})
			for _, m := range mutations {
				cases = append(cases, diffCase{name: name + " " + p + "=" + m, body: setPath(t, body, path, m)})
			}
		}
		for _, path := range objects(decodeExact(t, body), nil) {
			cases = append(cases, diffCase{name: name + " unknown field in " + strings.Join(path, "."),
				body: setPath(t, body, append(path, "x_unknown"), `1`)})
		}
		cases = append(cases, diffCase{name: name + " duplicate id",
			body: append([]byte(`{"id":"evt_duplicate",`), bytes.TrimPrefix(bytes.TrimSpace(body), []byte("{"))...)})
	}
	rng := rand.New(rand.NewPCG(18, 2026))
	for i := range 400 {
		cases = append(cases, diffCase{name: fmt.Sprintf("generated invoice %d", i), body: genInvoice(t, rng, i), valid: true})
		cases = append(cases, diffCase{name: fmt.Sprintf("generated customer %d", i), body: genCustomer(t, rng, i), valid: true})
	}
	return cases
}

// decodeExact decodes JSON keeping numbers as their text.
func decodeExact(t testing.TB, body []byte) any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// paths lists every member and item below v, containers included.
func paths(v any, at []string) [][]string {
	var out [][]string
	visit := func(k string, c any) {
		p := append(append([]string(nil), at...), k)
		out = append(out, p)
		out = append(out, paths(c, p)...)
	}
	switch c := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			visit(k, c[k])
		}
	case []any:
		for i, item := range c {
			visit(strconv.Itoa(i), item)
		}
	}
	return out
}

// objects lists the paths of every object in v, v itself first.
func objects(v any, at []string) [][]string {
	var out [][]string
	switch c := v.(type) {
	case map[string]any:
		out = append(out, at)
		for k, m := range c {
			out = append(out, objects(m, append(append([]string(nil), at...), k))...)
		}
	case []any:
		for i, m := range c {
			out = append(out, objects(m, append(append([]string(nil), at...), strconv.Itoa(i)))...)
		}
	}
	return out
}

// setPath puts raw at path in body ("" removes it), numbers kept exact.
func setPath(t testing.TB, body []byte, path []string, raw string) []byte {
	doc := decodeExact(t, body)
	parent := doc
	for _, p := range path[:len(path)-1] {
		parent = step(t, parent, p)
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		if raw == "" {
			delete(c, last)
		} else {
			c[last] = json.RawMessage(raw)
		}
	case []any:
		i, _ := strconv.Atoi(last)
		if raw == "" {
			c = append(c[:i:i], c[i+1:]...)
			if len(path) == 1 {
				doc = c
			} else {
				setIn(t, doc, path[:len(path)-1], c)
			}
		} else {
			c[i] = json.RawMessage(raw)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func setIn(t testing.TB, doc any, path []string, v any) {
	parent := doc
	for _, p := range path[:len(path)-1] {
		parent = step(t, parent, p)
	}
	switch c := parent.(type) {
	case map[string]any:
		c[path[len(path)-1]] = v
	case []any:
		i, _ := strconv.Atoi(path[len(path)-1])
		c[i] = v
	}
}

// Text the generators draw from: letters of several scripts, inner
// spaces of every kind, tabs and line breaks, all of it valid.
var textPieces = []string{"Acme", "Café", "日本", "😀", "Ünïcödé", " ", "\u00a0", "\t", "\n", "\r\n", "\u3000", "-", "42", "O'Brien", `"q"`, "\\", "\u200b", "Ж", "ﷺ"}

func genText(rng *rand.Rand, max int) string {
	var b strings.Builder
	b.WriteString(textPieces[rng.IntN(5)])
	for n := rng.IntN(6); n > 0; n-- {
		b.WriteString(textPieces[rng.IntN(len(textPieces))])
	}
	s := []rune(b.String())
	if len(s) > max {
		s = s[:max]
	}
	return string(s)
}

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"

func genID(rng *rand.Rand) string {
	b := make([]byte, 1+rng.IntN(64))
	for i := range b {
		b[i] = idChars[rng.IntN(len(idChars))]
	}
	return string(b)
}

func genDate(rng *rand.Rand) string {
	y := 1900 + rng.IntN(8100)
	if rng.IntN(4) == 0 {
		return fmt.Sprintf("%04d-02-29", []int{1904, 2000, 2024, 2400, 9996}[rng.IntN(5)])
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, 1+rng.IntN(12), 1+rng.IntN(28))
}

func genInstant(rng *rand.Rand) string {
	t, z := "T", "Z"
	if rng.IntN(2) == 0 {
		t, z = "t", "z"
	}
	frac := []string{"", ".5", ".123", ".123456789", ".1234567890123"}[rng.IntN(5)]
	if rng.IntN(2) == 0 {
		z = fmt.Sprintf("%c%02d:%02d", "+-"[rng.IntN(2)], rng.IntN(24), rng.IntN(60))
	}
	return fmt.Sprintf("%s%s%02d:%02d:%02d%s%s", genDate(rng), t, rng.IntN(24), rng.IntN(60), rng.IntN(60), frac, z)
}

func genEnvelope(t testing.TB, rng *rand.Rand, typ string, data any) []byte {
	b, err := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_%d", rng.Uint64()), "type": typ, "occurred_at": genInstant(rng), "data": data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func genCustomer(t testing.TB, rng *rand.Rand, i int) []byte {
	c := map[string]any{
		"id": genID(rng), "version": 1 + rng.IntN(1000), "display_name": genText(rng, 100),
		"email":    []string{"a@b.c", "billing+x@acme.example", "ü@ö.example", "a\u00a0b@x.y"}[rng.IntN(4)],
		"currency": []string{"USD", "EUR", "JPY", "KWD", "CLF"}[rng.IntN(5)],
	}
	if rng.IntN(2) == 0 {
		c["company_name"] = genText(rng, 100)
		c["phone"] = []string{"", "   ", "+1 555 0100"}[rng.IntN(3)]
		c["billing_address"] = map[string]any{"line1": genText(rng, 500), "city": genText(rng, 255), "country": "JP", "region": nil}
	}
	return genEnvelope(t, rng, []string{"customer.created", "customer.updated", "customer.deleted"}[i%3], c)
}

func genInvoice(t testing.TB, rng *rand.Rand, i int) []byte {
	var lines []any
	var sub, disc, tax int64
	for j := range 1 + rng.IntN(8) {
		whole, frac := rng.IntN(1000), rng.IntN(1000000)
		qty := strconv.Itoa(whole)
		if rng.IntN(2) == 0 {
			qty += "." + strconv.Itoa(frac)
		}
		unit := rng.Int64N(2_000_000) - 200_000
		amount, err := Quantity(qty).MulAmount(unit)
		if err != nil {
			t.Fatal(err)
		}
		d, x := rng.Int64N(1000), rng.Int64N(1000)
		sub, disc, tax = sub+amount, disc+d, tax+x
		line := map[string]any{"id": fmt.Sprintf("li_%d", j), "description": genText(rng, 4000), "quantity": qty,
			"unit_amount": unit, "amount": amount, "discount_amount": d, "tax_amount": x}
		if rng.IntN(2) == 0 {
			line["product_id"] = []any{genID(rng), "", nil}[rng.IntN(3)]
		}
		lines = append(lines, line)
	}
	total := sub - disc + tax
	if total < 0 {
		// A credit-heavy invoice: one more line brings it to nothing due.
		lines = append(lines, map[string]any{"id": "li_balance", "description": "balance", "quantity": "1",
			"unit_amount": -total, "amount": -total, "discount_amount": 0, "tax_amount": 0})
		sub, total = sub-total, 0
	}
	status := []string{"draft", "posted", "paid", "voided"}[rng.IntN(4)]
	due := rng.Int64N(total + 1)
	if status == "paid" {
		due = 0
	}
	typ := []string{"invoice.created", "invoice.updated"}[i%2]
	if status == "voided" && i%3 == 0 {
		typ = "invoice.voided"
	}
	return genEnvelope(t, rng, typ, map[string]any{
		"id": genID(rng), "version": 1 + rng.IntN(1<<30), "customer_id": genID(rng), "number": genText(rng, 21),
		"status": status, "issued_on": genDate(rng), "due_on": genDate(rng),
		"currency": []string{"USD", "JPY", "BHD"}[rng.IntN(3)], "lines": lines,
		"subtotal": sub, "discount_total": disc, "tax_total": tax, "total": total, "amount_due": due,
		"notes": []any{"", " \t ", genText(rng, 4000), nil}[rng.IntN(4)],
	})
}
