package qbosim

import (
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
)

// The simulator's own page of one object: what "Open in QuickBooks"
// opens when the product runs on the simulator, where Intuit's web app
// knows nothing of the company.

var appPage = template.Must(template.New("object").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Entity}} {{.ID}} · {{.Company}}</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;color:#1b2733}table{border-collapse:collapse}
td,th{border-bottom:1px solid #dde3ea;padding:.35rem .8rem;text-align:left;vertical-align:top}
th{color:#4a5b6c;font-weight:600}pre{margin:0;white-space:pre-wrap}</style></head>
<body><p>QuickBooks simulator · {{.Company}} (realm {{.Realm}})</p>
<h1>{{.Entity}} {{.ID}}</h1>
{{if .Deleted}}<p><strong>Deleted in QuickBooks.</strong></p>{{end}}
<table>{{range .Fields}}<tr><th scope="row">{{.Name}}</th><td><pre>{{.Value}}</pre></td></tr>{{end}}</table>
</body></html>`))

type appField struct{ Name, Value string }

func (s *Server) appObject(w http.ResponseWriter, r *http.Request, c *company) {
	k := kindByName(r.PathValue("entity"))
	if k == nil {
		http.Error(w, "no such entity type", http.StatusNotFound)
		return
	}
	id := r.PathValue("id")
	c.mu.Lock()
	e := c.get(k.name, id)
	var row map[string]any
	if e != nil {
		row = e.render()
	}
	deleted := e == nil && c.deleted(k.name, id)
	name := c.name
	c.mu.Unlock()
	if e == nil && !deleted {
		http.Error(w, "no "+k.name+" "+id+" in this company", http.StatusNotFound)
		return
	}
	var fields []appField
	for name, v := range row {
		text, ok := v.(string)
		if !ok {
			b, _ := json.MarshalIndent(v, "", "  ")
			text = string(b)
		}
		fields = append(fields, appField{Name: name, Value: text})
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = appPage.Execute(w, map[string]any{"Entity": k.name, "ID": id, "Company": name, "Realm": c.realmID,
		"Deleted": deleted, "Fields": fields})
}

// deleted reports a tombstone of the object.
func (c *company) deleted(kindName, id string) bool {
	for _, t := range c.tombstones {
		if t.kind == kindName && t.id == id {
			return true
		}
	}
	return false
}
