package devstack

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/app"
)

// Route is an HTTP API route and the Lambda handler behind it.
type Route struct {
	Method string // GET, POST, ... or ANY
	// Path as the template writes it: literal segments, {name} for one
	// segment, and a final {name+} for one or more.
	Path    string
	Handler app.HTTPHandler
	// Function names the function in the handler's Lambda context.
	Function string
	// Timeout is the function's timeout; zero means API Gateway's 30 s
	// integration limit.
	Timeout time.Duration
}

// Key is the route key API Gateway puts in the event: "POST /v1/webhooks/{tenant}".
func (r Route) Key() string { return r.Method + " " + r.Path }

type segment struct {
	literal string // when param is empty
	param   string
	greedy  bool // {name+}: matches the rest of the path
}

type compiledRoute struct {
	Route
	segments []segment
	literals int
}

func compileRoute(r Route) (compiledRoute, error) {
	if r.Handler == nil {
		return compiledRoute{}, fmt.Errorf("route %s: no handler", r.Key())
	}
	if r.Method == "" || !strings.HasPrefix(r.Path, "/") {
		return compiledRoute{}, fmt.Errorf("route %q: want METHOD and an absolute path", r.Key())
	}
	c := compiledRoute{Route: r}
	parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return compiledRoute{}, fmt.Errorf("route %s: greedy %s must be the last segment", r.Key(), p)
			}
			c.segments = append(c.segments, segment{param: p[1 : len(p)-2], greedy: true})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			c.segments = append(c.segments, segment{param: p[1 : len(p)-1]})
		default:
			c.segments = append(c.segments, segment{literal: p})
			c.literals++
		}
	}
	return c, nil
}

// match returns the path parameters when path (escaped, as received)
// matches the route. Parameter values are unescaped, as API Gateway
// delivers them.
func (c compiledRoute) match(method, path string) (map[string]string, bool) {
	if c.Method != "ANY" && c.Method != method {
		return nil, false
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	params := map[string]string{}
	for i, s := range c.segments {
		if i >= len(parts) {
			return nil, false
		}
		if s.greedy {
			rest := strings.Join(parts[i:], "/")
			if rest == "" {
				return nil, false
			}
			params[s.param] = unescape(rest)
			return params, true
		}
		switch {
		case s.param != "" && parts[i] != "":
			params[s.param] = unescape(parts[i])
		case s.param == "" && unescape(parts[i]) == s.literal:
		default:
			return nil, false
		}
	}
	return params, len(parts) == len(c.segments)
}

// better reports whether c should win over d when both match: API Gateway
// prefers a full match over a greedy one, then the longer literal prefix,
// then a named method over ANY.
func (c compiledRoute) better(d compiledRoute) bool {
	cg, dg := c.greedy(), d.greedy()
	if cg != dg {
		return !cg
	}
	if c.literals != d.literals {
		return c.literals > d.literals
	}
	return c.Method != "ANY" && d.Method == "ANY"
}

func (c compiledRoute) greedy() bool {
	return len(c.segments) > 0 && c.segments[len(c.segments)-1].greedy
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
