package qbosim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The query language is Intuit's SQL subset:
//
//	SELECT * | COUNT(*) | Prop[, Prop] FROM Entity
//	  [WHERE Prop op value [AND Prop op value]...]
//	  [ORDERBY Prop [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]
//
// with op one of = < > <= >= IN LIKE. String literals are single-quoted and
// an apostrophe inside one is written \' (never ''). OR, NOT, joins and
// grouping are not part of the language.

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp    // = < > <= >=
	tokPunct // ( ) , *
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

func lex(src string) ([]token, error) {
	var toks []token
	r := []rune(src)
	for i := 0; i < len(r); {
		ch := r[i]
		switch {
		case unicode.IsSpace(ch):
			i++
		case ch == '\'':
			s, n, err := lexString(r, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, s, i})
			i = n
		case ch == '(' || ch == ')' || ch == ',' || ch == '*':
			toks = append(toks, token{tokPunct, string(ch), i})
			i++
		case ch == '=' || ch == '<' || ch == '>' || ch == '!':
			op := string(ch)
			if i+1 < len(r) && (r[i+1] == '=' || (ch == '<' && r[i+1] == '>')) {
				op += string(r[i+1])
			}
			if op == "!" || op == "!=" || op == "<>" {
				return nil, errQueryParse(fmt.Sprintf("Encountered \"%s\" at column %d; the only operators are =, <, >, <=, >=, IN and LIKE.", op, i+1))
			}
			toks = append(toks, token{tokOp, op, i})
			i += len(op)
		case ch == '-' || ch == '.' || unicode.IsDigit(ch):
			j := i + 1
			for j < len(r) && (unicode.IsDigit(r[j]) || r[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, string(r[i:j]), i})
			i = j
		case unicode.IsLetter(ch) || ch == '_':
			j := i + 1
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == '.') {
				j++
			}
			toks = append(toks, token{tokIdent, string(r[i:j]), i})
			i = j
		default:
			return nil, errQueryParse(fmt.Sprintf("Lexical error at column %d. Encountered: %q", i+1, string(ch)))
		}
	}
	return append(toks, token{tokEOF, "", len(r)}), nil
}

// lexString reads a quoted literal starting at r[i] == '\”. A backslash
// escapes the next character, so \' is an apostrophe and a literal ending in
// a lone backslash is unterminated, as in QuickBooks.
func lexString(r []rune, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(r); j++ {
		switch r[j] {
		case '\\':
			if j+1 >= len(r) {
				return "", 0, errQueryParse("Encountered <EOF> inside a string literal.")
			}
			j++
			b.WriteRune(r[j])
		case '\'':
			return b.String(), j + 1, nil
		default:
			b.WriteRune(r[j])
		}
	}
	return "", 0, errQueryParse(fmt.Sprintf("Encountered <EOF> inside the string literal starting at column %d.", i+1))
}

// query is a parsed statement.
type query struct {
	count   bool
	columns []string // nil for *
	entity  string
	where   []predicate
	orderBy []ordering
	start   int // 1-based
	max     int
}

type predicate struct {
	field  string
	op     string // = < > <= >= IN LIKE
	values []literal
}

type literal struct {
	text   string
	quoted bool
}

type ordering struct {
	field string
	desc  bool
}

type parser struct {
	toks []token
	i    int
}

func parseQuery(src string) (*query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q := &query{start: 1, max: 100}
	if err := p.keyword("SELECT"); err != nil {
		return nil, err
	}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.keyword("FROM"); err != nil {
		return nil, err
	}
	ent := p.next()
	if ent.kind != tokIdent {
		return nil, p.unexpected(ent, "an entity name")
	}
	q.entity = ent.text
	if p.isKeyword("WHERE") {
		p.i++
		if err := p.conditions(q); err != nil {
			return nil, err
		}
	}
	return q, p.tail(q)
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) keyword(kw string) error {
	t := p.next()
	if t.kind != tokIdent || !strings.EqualFold(t.text, kw) {
		return p.unexpected(t, kw)
	}
	return nil
}

func (p *parser) punct(s string) error {
	t := p.next()
	if t.kind != tokPunct || t.text != s {
		return p.unexpected(t, "\""+s+"\"")
	}
	return nil
}

func (p *parser) unexpected(t token, want string) error {
	got := t.text
	if t.kind == tokEOF {
		got = "<EOF>"
	}
	return errQueryParse(fmt.Sprintf("Encountered \"%s\" at column %d. Was expecting %s.", got, t.pos+1, want))
}

func (p *parser) selectList(q *query) error {
	t := p.next()
	switch {
	case t.kind == tokPunct && t.text == "*":
		return nil
	case t.kind == tokIdent && strings.EqualFold(t.text, "COUNT"):
		q.count = true
		for _, s := range []string{"(", "*", ")"} {
			if err := p.punct(s); err != nil {
				return err
			}
		}
		return nil
	case t.kind == tokIdent:
		q.columns = append(q.columns, t.text)
		for p.peek().kind == tokPunct && p.peek().text == "," {
			p.i++
			c := p.next()
			if c.kind != tokIdent {
				return p.unexpected(c, "a property name")
			}
			q.columns = append(q.columns, c.text)
		}
		return nil
	}
	return p.unexpected(t, "\"*\", COUNT(*) or a property name")
}

func (p *parser) conditions(q *query) error {
	for {
		pred, err := p.predicate()
		if err != nil {
			return err
		}
		q.where = append(q.where, pred)
		switch {
		case p.isKeyword("AND"):
			p.i++
		case p.isKeyword("OR"):
			return errQueryParse(fmt.Sprintf("Encountered \"OR\" at column %d. Only AND may combine conditions.", p.peek().pos+1))
		default:
			return nil
		}
	}
}

func (p *parser) predicate() (predicate, error) {
	f := p.next()
	if f.kind != tokIdent || isReserved(f.text) {
		return predicate{}, p.unexpected(f, "a property name")
	}
	pred := predicate{field: f.text}
	op := p.next()
	switch {
	case op.kind == tokOp:
		pred.op = op.text
	case op.kind == tokIdent && (strings.EqualFold(op.text, "IN") || strings.EqualFold(op.text, "LIKE")):
		pred.op = strings.ToUpper(op.text)
	default:
		return predicate{}, p.unexpected(op, "an operator (=, <, >, <=, >=, IN, LIKE)")
	}
	if pred.op != "IN" {
		v, err := p.literal()
		pred.values = []literal{v}
		return pred, err
	}
	if err := p.punct("("); err != nil {
		return predicate{}, err
	}
	for {
		v, err := p.literal()
		if err != nil {
			return predicate{}, err
		}
		pred.values = append(pred.values, v)
		t := p.next()
		if t.kind == tokPunct && t.text == ")" {
			return pred, nil
		}
		if t.kind != tokPunct || t.text != "," {
			return predicate{}, p.unexpected(t, "\",\" or \")\"")
		}
	}
}

func (p *parser) literal() (literal, error) {
	t := p.next()
	switch {
	case t.kind == tokString:
		return literal{text: t.text, quoted: true}, nil
	case t.kind == tokNumber:
		return literal{text: t.text}, nil
	case t.kind == tokIdent && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
		return literal{text: strings.ToLower(t.text)}, nil
	}
	return literal{}, p.unexpected(t, "a value")
}

// tail parses ORDERBY, STARTPOSITION and MAXRESULTS, in any order.
func (p *parser) tail(q *query) error {
	for {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return nil
		case t.kind == tokIdent && strings.EqualFold(t.text, "ORDERBY"):
			if err := p.orderBy(q); err != nil {
				return err
			}
		case t.kind == tokIdent && strings.EqualFold(t.text, "ORDER") && p.isKeyword("BY"):
			p.i++
			if err := p.orderBy(q); err != nil {
				return err
			}
		case t.kind == tokIdent && (strings.EqualFold(t.text, "STARTPOSITION") || strings.EqualFold(t.text, "MAXRESULTS")):
			n := p.next()
			v, err := strconv.Atoi(n.text)
			if n.kind != tokNumber || err != nil {
				return p.unexpected(n, "an integer")
			}
			if strings.EqualFold(t.text, "STARTPOSITION") {
				q.start = v
			} else {
				q.max = v
			}
		default:
			return p.unexpected(t, "ORDERBY, STARTPOSITION, MAXRESULTS or the end of the query")
		}
	}
}

func (p *parser) orderBy(q *query) error {
	for {
		f := p.next()
		if f.kind != tokIdent || isReserved(f.text) {
			return p.unexpected(f, "a property name")
		}
		o := ordering{field: f.text}
		if p.isKeyword("DESC") {
			o.desc = true
			p.i++
		} else if p.isKeyword("ASC") {
			p.i++
		}
		q.orderBy = append(q.orderBy, o)
		if t := p.peek(); t.kind != tokPunct || t.text != "," {
			return nil
		}
		p.i++
	}
}

func isReserved(s string) bool {
	switch strings.ToUpper(s) {
	case "SELECT", "FROM", "WHERE", "AND", "OR", "IN", "LIKE", "ORDERBY", "STARTPOSITION", "MAXRESULTS", "ASC", "DESC":
		return true
	}
	return false
}
