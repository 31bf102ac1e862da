package billing

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxProblems bounds the problems listed for one event; a body of
// thousands of bad lines gets a readable answer, not a megabyte.
const MaxProblems = 100

// Problem is one thing wrong with an event. Field is a path into the
// envelope such as "data.lines[0].amount"; "body" means the whole body.
type Problem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// ValidationError lists every problem found in an event.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid event: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Problem)
	}
	return b.String()
}

// problems collects Problems while validating.
type problems struct {
	list      []Problem
	truncated bool
}

func (p *problems) add(field, format string, args ...any) {
	if len(p.list) >= MaxProblems {
		p.truncated = true
		return
	}
	p.list = append(p.list, Problem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// has reports whether a problem was recorded at field or inside it, so
// that rules built on a broken value do not pile derived problems on it.
func (p *problems) has(fields ...string) bool {
	for _, f := range fields {
		for _, q := range p.list {
			if q.Field == f || strings.HasPrefix(q.Field, f+".") || strings.HasPrefix(q.Field, f+"[") {
				return true
			}
		}
	}
	return p.truncated
}

// at reports whether a problem was recorded at exactly field.
func (p *problems) at(field string) bool {
	for _, q := range p.list {
		if q.Field == field {
			return true
		}
	}
	return p.truncated
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	if p.truncated {
		list = append(list, Problem{Field: "body", Problem: fmt.Sprintf("more problems not listed (at most %d are)", MaxProblems)})
	}
	return &ValidationError{Problems: list}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
