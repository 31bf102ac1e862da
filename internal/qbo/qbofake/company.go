// Package qbofake is a QuickBooks company in memory, behind qbo.Doer: it
// creates, reads, updates, voids, deletes and queries objects with
// QuickBooks' rules that exactly-once depends on (requestid replay,
// SyncToken checks, unique customer names, and with AutoApplyCredit in
// its preferences the automatic application of a customer's unapplied
// payments to a new invoice), records every call, and fails a chosen call
// before it is applied or loses its answer after.
// It is for fast, deterministic unit tests; package qbosim is the full
// simulator, over HTTP.
package qbofake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/qbosync/qbosync/internal/qbo"
)

// ErrAnswerLost is the transport error of a call whose answer never
// arrived; whether it was applied depends on how it was made to fail.
var ErrAnswerLost = errors.New("connection reset by peer")

// object is a stored QuickBooks object, as its JSON members.
type object map[string]any

// Call is one request the company received.
type Call struct {
	Op        string // "create Invoice", "update Invoice", "query Payment", ...
	RequestID string
	Failed    bool // made to fail (see Company.Fail)
}

// Stage says where an injected failure strikes.
type Stage int

const (
	// Unsent: the call fails before QuickBooks applies it.
	Unsent Stage = iota
	// AnswerLost: QuickBooks applies the call, its answer is lost.
	AnswerLost
	// Canceled: QuickBooks applies the call, and the caller's context is
	// canceled before the answer is read (the invocation is cut short).
	Canceled
)

type fault struct {
	op    string
	stage Stage
}

type hook struct {
	op, name, id string
	fn           func(map[string]any) // nil: remove the object
	after        bool
}

// Company is one QuickBooks company. It is safe for concurrent use.
type Company struct {
	mu      sync.Mutex
	next    int
	objects map[string]map[string]object // entity name → Id → object
	created map[string]int               // entity name → objects ever created
	replies map[string]qbo.Envelope      // requestid → first answer
	calls   []Call
	faults  []fault
	hooks   []hook
	prefs   qbo.Preferences
}

// New returns an empty company.
func New() *Company {
	return &Company{next: 100, objects: map[string]map[string]object{}, created: map[string]int{},
		replies: map[string]qbo.Envelope{}}
}

// SetPreferences sets what the company answers for its preferences.
func (c *Company) SetPreferences(p qbo.Preferences) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prefs = p
}

// Fail makes the next call named op ("create Invoice") fail at stage.
func (c *Company) Fail(op string, stage Stage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, fault{op, stage})
}

// EditBefore edits object name/id as Edit does just before the next
// call named op is applied: someone changing it in QuickBooks between
// the engine's read and its write.
func (c *Company) EditBefore(op, name, id string, fn func(members map[string]any)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks = append(c.hooks, hook{op: op, name: name, id: id, fn: fn})
}

// RemoveAfter removes object name/id just after the next call named op
// is answered: another sync deleting it in between the engine's calls.
func (c *Company) RemoveAfter(op, name, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks = append(c.hooks, hook{op: op, name: name, id: id, after: true})
}

// Calls returns the calls received so far.
func (c *Company) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// Created returns how many objects of entity name were ever created.
func (c *Company) Created(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.created[name]
}

// Edit changes a stored object as a user in QuickBooks would: fn edits
// its members and the SyncToken moves on.
func (c *Company) Edit(name, id string, fn func(members map[string]any)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.edit(name, id, fn)
}

func (c *Company) edit(name, id string, fn func(map[string]any)) error {
	o, ok := c.objects[name][id]
	if !ok {
		return fmt.Errorf("no %s %s", name, id)
	}
	fn(o)
	o["SyncToken"] = bump(o["SyncToken"])
	total(name, o)
	c.rebalance()
	return nil
}

// Add stores v as if created in QuickBooks by someone else, and returns
// its Id.
func (c *Company) Add(v qbo.Entity) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o, err := decode(b)
	if err != nil {
		return "", err
	}
	id := c.insert(v.EntityName(), o)["Id"].(string)
	c.rebalance()
	return id, nil
}

// All returns the stored objects of T, in Id order.
func All[T qbo.Entity](c *Company) ([]T, error) {
	var zero T
	c.mu.Lock()
	objs := c.objects[zero.EntityName()]
	ids := make([]string, 0, len(objs))
	for id := range objs {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmpID(a, b) })
	raw := make([][]byte, 0, len(ids))
	for _, id := range ids {
		b, err := json.Marshal(objs[id])
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		raw = append(raw, b)
	}
	c.mu.Unlock()
	out := make([]T, 0, len(raw))
	for _, b := range raw {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Do answers one Accounting API request.
func (c *Company) Do(_ context.Context, r qbo.Request) (qbo.Envelope, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call := Call{Op: r.Op, RequestID: r.RequestID}
	stage, failing := c.takeFault(r.Op)
	call.Failed = failing
	c.calls = append(c.calls, call)
	if failing && stage == Unsent {
		return nil, &qbo.Error{Op: r.Op, Err: ErrAnswerLost}
	}
	c.runHooks(r.Op, false)
	status, body := c.answer(r)
	c.runHooks(r.Op, true)
	env, err := qbo.Parse(r.Op, status, body)
	switch {
	case failing && stage == Canceled:
		return nil, &qbo.Error{Op: r.Op, Err: context.Canceled}
	case failing:
		return nil, &qbo.Error{Op: r.Op, Err: ErrAnswerLost}
	}
	return env, err
}

func (c *Company) takeFault(op string) (Stage, bool) {
	for i, f := range c.faults {
		if f.op == op {
			c.faults = slices.Delete(c.faults, i, i+1)
			return f.stage, true
		}
	}
	return 0, false
}

func (c *Company) runHooks(op string, after bool) {
	for i, h := range c.hooks {
		if h.op != op || h.after != after {
			continue
		}
		c.hooks = slices.Delete(c.hooks, i, i+1)
		if h.fn == nil {
			delete(c.objects[h.name], h.id)
			c.rebalance()
			return
		}
		_ = c.edit(h.name, h.id, h.fn) // an edit of a missing object is no edit
		return
	}
}

// answer applies r and returns QuickBooks' status and body.
func (c *Company) answer(r qbo.Request) (int, []byte) {
	if r.RequestID != "" {
		if env, ok := c.replies[r.RequestID]; ok {
			return reply(env) // QuickBooks answers a requestid it saw with its first answer
		}
	}
	status, env := c.apply(r)
	if status == http.StatusOK {
		c.rebalance()
	}
	if r.RequestID != "" {
		// Intuit does not run a requestid twice: a refusal is answered
		// again as it was, however the company changed meanwhile.
		c.replies[r.RequestID] = env
	}
	return reply(env)
}

func reply(env qbo.Envelope) (int, []byte) {
	b, _ := json.Marshal(env) // members are already JSON
	if _, ok := env["Fault"]; ok {
		return http.StatusBadRequest, b
	}
	return http.StatusOK, b
}

func (c *Company) apply(r qbo.Request) (int, qbo.Envelope) {
	name, id, _ := strings.Cut(r.Path, "/")
	switch {
	case r.Path == "query":
		return c.query(string(r.Body))
	case r.Path == "preferences":
		return envelope("Preferences", c.prefs)
	case r.Method == http.MethodGet:
		return c.read(entity(name), id)
	}
	o, err := decode(r.Body)
	if err != nil {
		return faultAnswer("ValidationFault", "2500", "Invalid Request", err.Error())
	}
	switch op := r.Params.Get("operation"); {
	case op == "delete":
		return c.remove(entity(name), o)
	case op == "void" || r.Params.Get("include") == "void":
		return c.void(entity(name), o)
	case o["Id"] != nil:
		return c.update(entity(name), o)
	}
	return c.create(entity(name), o)
}

func (c *Company) create(name string, o object) (int, qbo.Envelope) {
	if name == "Customer" {
		if taken := c.nameTaken(o["DisplayName"]); taken {
			return faultAnswer("ValidationFault", "6240", "Duplicate Name Exists Error",
				"The name supplied already exists. : Another customer, vendor or employee is already using this name.")
		}
	}
	if name == "Payment" {
		if inv := c.overApplies(o); inv != "" {
			return overApplied(inv)
		}
	}
	o = c.insert(name, o)
	if name == "Invoice" && c.autoApplyCredit() {
		c.applyCredit(o)
	}
	return envelope(name, o)
}

// overApplied is QuickBooks' refusal of an application above an
// invoice's open balance. The engine must recognise it from the amounts,
// so its words differ from QuickBooks' own.
func overApplied(invoice string) (int, qbo.Envelope) {
	return faultAnswer("ValidationFault", "6000", "A business validation error has occurred while processing your request",
		"Business Validation Error: the amount received exceeds what is open on invoice "+invoice+".")
}

func (c *Company) insert(name string, o object) object {
	c.next++
	o["Id"], o["SyncToken"] = strconv.Itoa(c.next), "0"
	if c.objects[name] == nil {
		c.objects[name] = map[string]object{}
	}
	total(name, o)
	c.objects[name][o["Id"].(string)] = o
	c.created[name]++
	return o
}

func (c *Company) nameTaken(display any) bool {
	for _, o := range c.objects["Customer"] {
		if o["Active"] != false && strings.EqualFold(fmt.Sprint(o["DisplayName"]), fmt.Sprint(display)) {
			return true
		}
	}
	return false
}

func (c *Company) read(name, id string) (int, qbo.Envelope) {
	o, ok := c.objects[name][id]
	if !ok {
		return notFound(name, id)
	}
	return envelope(name, o)
}

func (c *Company) update(name string, o object) (int, qbo.Envelope) {
	id := fmt.Sprint(o["Id"])
	cur, ok := c.objects[name][id]
	if !ok {
		return notFound(name, id)
	}
	if fmt.Sprint(o["SyncToken"]) != fmt.Sprint(cur["SyncToken"]) {
		return faultAnswer("ValidationFault", "5010", "Stale Object Error",
			"Stale Object Error : You and someone else were working on this at the same time. "+
				"The other person finished before you did, so your work was not saved.")
	}
	next := object{}
	if o["sparse"] == true {
		maps.Copy(next, cur)
	}
	for k, v := range o {
		if k != "sparse" {
			next[k] = v
		}
	}
	next["SyncToken"] = bump(cur["SyncToken"])
	total(name, next)
	if inv := c.overApplies(next); name == "Payment" && inv != "" {
		return overApplied(inv)
	}
	c.objects[name][id] = next
	return envelope(name, next)
}

func (c *Company) void(name string, o object) (int, qbo.Envelope) {
	id := fmt.Sprint(o["Id"])
	cur, ok := c.objects[name][id]
	if !ok {
		return notFound(name, id)
	}
	if fmt.Sprint(o["SyncToken"]) != fmt.Sprint(cur["SyncToken"]) {
		return faultAnswer("ValidationFault", "5010", "Stale Object Error", "Stale Object Error : the object was changed meanwhile.")
	}
	for _, l := range lines(cur) {
		l["Amount"] = json.Number("0")
	}
	cur["TotalAmt"], cur["Balance"] = json.Number("0"), json.Number("0")
	cur["PrivateNote"] = "Voided"
	cur["SyncToken"] = bump(cur["SyncToken"])
	return envelope(name, cur)
}

func (c *Company) remove(name string, o object) (int, qbo.Envelope) {
	id := fmt.Sprint(o["Id"])
	if _, ok := c.objects[name][id]; !ok {
		return notFound(name, id)
	}
	delete(c.objects[name], id)
	return envelope(name, map[string]any{"Id": id, "status": "Deleted"})
}

// entity is the entity name of a path segment ("invoice" → "Invoice").
func entity(segment string) string {
	for _, n := range []string{"Customer", "Item", "Account", "PaymentMethod", "TaxCode", "Invoice", "CreditMemo",
		"RefundReceipt", "SalesReceipt", "Payment", "JournalEntry"} {
		if strings.EqualFold(n, segment) {
			return n
		}
	}
	return segment
}

func envelope(name string, v any) (int, qbo.Envelope) {
	b, err := json.Marshal(v)
	if err != nil {
		return faultAnswer("SERVICE", "10000", "An application error has occurred", err.Error())
	}
	return http.StatusOK, qbo.Envelope{name: b}
}

func faultAnswer(faultType, code, message, detail string) (int, qbo.Envelope) {
	b, _ := json.Marshal(map[string]any{"Error": []map[string]string{{"Message": message, "Detail": detail, "code": code}},
		"type": faultType})
	return http.StatusBadRequest, qbo.Envelope{"Fault": b}
}

func notFound(name, id string) (int, qbo.Envelope) {
	return faultAnswer("ValidationFault", "610", "Object Not Found", fmt.Sprintf("Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. (%s %s)", name, id))
}

func decode(b []byte) (object, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var o object
	if err := d.Decode(&o); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, errors.New("not a JSON object")
	}
	return o, nil
}

func bump(token any) string {
	n, _ := strconv.Atoi(fmt.Sprint(token))
	return strconv.Itoa(n + 1)
}

func cmpID(a, b string) int {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x - y
}
