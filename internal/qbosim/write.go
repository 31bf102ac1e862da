package qbosim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// write is one create or update on its way into the store.
type write struct {
	kind  *kind
	old   *entity        // nil on create
	input map[string]any // the body as received
	data  map[string]any // what will be stored; prepare normalises it
	txn   *txn           // the bookkeeping view prepare derives
	now   time.Time

	allowDuplicateDocNumber bool
}

// writeOptions are the query options of a write.
type writeOptions struct {
	allowDuplicateDocNumber bool // include=allowduplicatedocnum
}

// schema is the view of Intuit's XSD the store enforces.
type schema struct {
	check    func(entity string, body map[string]any) (badPath string, ok bool)
	readOnly func(entity, path string) bool
}

// storeOwned are properties the store sets itself on every entity.
var storeOwned = []string{"Id", "SyncToken", "MetaData", "domain", "sparse", "status"}

// save applies a create or a full or sparse update of body and returns the
// stored entity.
func (c *company) save(k *kind, body map[string]any, opts writeOptions, now time.Time) (*entity, error) {
	if !k.writable {
		return nil, errUnsupportedOperation(fmt.Sprintf("Operation Create/Update is not supported for %s.", k.name))
	}
	if path, ok := c.schema.check(k.name, body); !ok {
		return nil, errUnsupportedProperty(path)
	}
	w := &write{kind: k, input: body, now: now, allowDuplicateDocNumber: opts.allowDuplicateDocNumber}
	if id := idText(body["Id"]); id != "" {
		old, err := c.current(k, body)
		if err != nil {
			return nil, err
		}
		if err := errIfVoided(old); err != nil {
			return nil, err
		}
		w.old = old
	}
	clean := c.stripReadOnly(k.name, copyObject(body), "")
	for _, key := range storeOwned {
		delete(clean, key)
	}
	if w.old != nil && boolean(body, "sparse", false) {
		w.data = copyObject(w.old.data)
		for key, v := range clean {
			w.data[key] = v
		}
	} else {
		w.data = clean
	}
	if err := k.prepare(c, w); err != nil {
		return nil, err
	}
	e := c.commit(w)
	c.refresh(now)
	c.autoApply(e, w.old == nil, now)
	return e, nil
}

// current returns the stored entity body names, checking its SyncToken the
// way every update, delete and void does.
func (c *company) current(k *kind, body map[string]any) (*entity, error) {
	id := idText(body["Id"])
	if id == "" {
		return nil, errRequired("Id")
	}
	e := c.get(k.name, id)
	if e == nil {
		return nil, errNotFound(k.name, id)
	}
	token := idText(body["SyncToken"])
	if token == "" {
		return nil, errRequired("SyncToken")
	}
	if token != strconv.Itoa(e.syncToken) {
		return nil, errStale()
	}
	return e, nil
}

// errIfVoided refuses to change a voided transaction; it can only be
// deleted.
func errIfVoided(e *entity) error {
	if e.txn != nil && e.txn.voided {
		return errBusiness("%s %s has been voided and can no longer be changed.", e.kind.name, e.id)
	}
	return nil
}

func (c *company) commit(w *write) *entity {
	e := w.old
	if e == nil {
		e = &entity{kind: w.kind, id: c.newID(), created: w.now, updated: w.now}
		c.bumped[e] = true
	} else {
		c.bump(e, w.now)
	}
	e.data = w.data
	e.txn = w.txn
	c.put(e)
	return e
}

// stripReadOnly drops the properties Intuit's schema marks read-only:
// QuickBooks ignores them on input rather than rejecting them. Inputs the
// bookkeeping reads (payment links, the US sales-tax override) are kept.
func (c *company) stripReadOnly(entityName string, m map[string]any, prefix string) map[string]any {
	if c.schema.readOnly == nil {
		return m
	}
	for key, v := range m {
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		if keepInput(entityName, path) {
			continue
		}
		if c.schema.readOnly(entityName, path) {
			delete(m, key)
			continue
		}
		switch t := v.(type) {
		case map[string]any:
			c.stripReadOnly(entityName, t, path)
		case []any:
			for i, e := range t {
				if o, ok := e.(map[string]any); ok {
					c.stripReadOnly(entityName, o, fmt.Sprintf("%s[%d]", path, i))
				}
			}
		}
	}
	return m
}

func keepInput(entityName, path string) bool {
	if path == "TxnTaxDetail.TotalTax" || path == "TxnTaxDetail" {
		return true
	}
	if entityName == "Payment" && strings.HasPrefix(path, "Line[") {
		return true
	}
	return entityName == "Payment" && path == "TotalAmt"
}

// idText reads an Id or SyncToken, which clients send as strings but
// sometimes as numbers.
func idText(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case fmt.Stringer:
		return t.String()
	}
	return ""
}

// checkPeriod refuses a transaction dated on or before the books-closed date.
func (c *company) checkPeriod(date string) error {
	if closed := c.prefs.BooksClosedDate; closed != "" && date != "" && date <= closed {
		return errPeriodClosed(closed)
	}
	return nil
}

// resolveRef checks the reference m[key] and fills in its name, as QuickBooks
// echoes it. It returns nil when the reference is absent.
func (c *company) resolveRef(m map[string]any, key, kindName, element string) (*entity, error) {
	id := refValue(m, key)
	if id == "" {
		if _, present := m[key]; present {
			return nil, errRequired(element + ".value")
		}
		return nil, nil
	}
	e := c.get(kindName, id)
	if e == nil {
		return nil, errInvalidRef(element, kindName, id)
	}
	if e.kind.nameList && !e.active() {
		return nil, errInactive(element)
	}
	m[key] = ref(id, e.displayName())
	return e, nil
}
