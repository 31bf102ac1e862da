package admin

import (
	"embed"
	"net/http"
	"path"
)

// The page is plain HTML, CSS and JavaScript embedded in the binary: no
// build step, nothing fetched from a CDN.
//
//go:embed static
var static embed.FS

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// pageSecurity keeps the page to its own assets and API; the token lives
// in the page's memory and session storage, so no script from elsewhere
// may run.
func pageSecurity(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	serveStatic(w, "index.html")
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == "" || name != path.Base(name) {
		http.NotFound(w, r)
		return
	}
	serveStatic(w, name)
}

func serveStatic(w http.ResponseWriter, name string) {
	b, err := static.ReadFile("static/" + name)
	ct, known := contentTypes[path.Ext(name)]
	if err != nil || !known {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("not found\n"))
		return
	}
	pageSecurity(w)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
