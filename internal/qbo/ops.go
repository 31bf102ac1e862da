package qbo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
)

// maxRequestID is Intuit's limit on requestid outside batches.
const maxRequestID = 50

// Create posts v as a new object and returns QBO's copy. v must not carry
// an Id: QBO would treat the post as an update. requestID makes retries of
// the same create safe; derive it from the write, not from the attempt.
func Create[T Entity](ctx context.Context, d Doer, realmID string, v T, requestID string) (T, error) {
	name := entityName[T]()
	op := "create " + name
	var zero T
	id, _, err := identity(op, v)
	if err != nil {
		return zero, err
	}
	if id != "" {
		return zero, invalid(op, "Id %q is set; use Update", id)
	}
	return write[T](ctx, d, realmID, op, name, v, nil, requestID)
}

// Read returns the object with the given Id.
func Read[T Entity](ctx context.Context, d Doer, realmID, id string) (T, error) {
	name := entityName[T]()
	op := "read " + name
	var v T
	if id == "" {
		return v, invalid(op, "empty id")
	}
	env, err := d.Do(ctx, Request{Op: op, Method: http.MethodGet, RealmID: realmID,
		Path: segment(name) + "/" + url.PathEscape(id)})
	if err != nil {
		return v, err
	}
	err = env.decode(op, name, &v)
	return v, err
}

// Update posts v over the existing object: a full update that clears
// omitted writable fields, or a sparse one when v has Sparse set. v must
// carry Id and the current SyncToken; a stale token fails with Stale.
func Update[T Entity](ctx context.Context, d Doer, realmID string, v T, requestID string) (T, error) {
	name := entityName[T]()
	op := "update " + name
	var zero T
	if _, _, err := requireIdentity(op, v); err != nil {
		return zero, err
	}
	return write[T](ctx, d, realmID, op, name, v, nil, requestID)
}

// voidStyle is how QBO voids each entity: most take operation=void, a
// Payment is voided by a sparse update with include=void.
var voidStyle = map[string]url.Values{
	"Invoice":       {"operation": {"void"}},
	"CreditMemo":    {"operation": {"void"}},
	"SalesReceipt":  {"operation": {"void"}},
	"RefundReceipt": {"operation": {"void"}},
	"Payment":       {"operation": {"update"}, "include": {"void"}},
}

// Void voids the transaction v names by Id and SyncToken: QBO keeps it
// with zero amounts. Invoice, CreditMemo, SalesReceipt, RefundReceipt and
// Payment can be voided.
func Void[T Entity](ctx context.Context, d Doer, realmID string, v T, requestID string) (T, error) {
	name := entityName[T]()
	op := "void " + name
	var zero T
	params, ok := voidStyle[name]
	if !ok {
		return zero, invalid(op, "QBO cannot void a %s", name)
	}
	id, token, err := requireIdentity(op, v)
	if err != nil {
		return zero, err
	}
	body := ref{ID: id, SyncToken: token, Sparse: name == "Payment"}
	return write[T](ctx, d, realmID, op, name, body, params, requestID)
}

// notDeletable are name-list entities: QBO only deactivates them.
var notDeletable = map[string]bool{
	"Customer": true, "Item": true, "Account": true, "PaymentMethod": true,
	"TaxCode": true, "CompanyInfo": true, "Preferences": true,
}

// Delete deletes the transaction v names by Id and SyncToken. Name-list
// entities (Customer, Item, Account, ...) cannot be deleted; update them
// with Active set to false instead.
func Delete[T Entity](ctx context.Context, d Doer, realmID string, v T, requestID string) error {
	name := entityName[T]()
	op := "delete " + name
	if notDeletable[name] {
		return invalid(op, "QBO cannot delete a %s; set Active to false", name)
	}
	id, token, err := requireIdentity(op, v)
	if err != nil {
		return err
	}
	// QBO answers with a stub whose status is "Deleted"; nothing to decode.
	_, err = post(ctx, d, realmID, op, name, ref{ID: id, SyncToken: token},
		url.Values{"operation": {"delete"}}, requestID)
	return err
}

// ref is the body of void and delete.
type ref struct {
	ID        string `json:"Id"`
	SyncToken string `json:"SyncToken"`
	Sparse    bool   `json:"sparse,omitempty"`
}

// write posts body to the entity's resource and decodes the entity QBO
// returns.
func write[T Entity](ctx context.Context, d Doer, realmID, op, name string, body any,
	params url.Values, requestID string) (T, error) {
	var out T
	env, err := post(ctx, d, realmID, op, name, body, params, requestID)
	if err != nil {
		return out, err
	}
	err = env.decode(op, name, &out)
	return out, err
}

// post sends body as JSON to the entity's resource.
func post(ctx context.Context, d Doer, realmID, op, name string, body any,
	params url.Values, requestID string) (Envelope, error) {
	if len(requestID) > maxRequestID {
		return nil, invalid(op, "requestid longer than %d characters", maxRequestID)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, invalid(op, "encode: %v", err)
	}
	return d.Do(ctx, Request{Op: op, Method: http.MethodPost, RealmID: realmID, Path: segment(name),
		Params: params, Body: b, ContentType: "application/json", RequestID: requestID})
}

// identity reads Id and SyncToken of v; a nil entity is refused.
func identity(op string, v Entity) (id, syncToken string, err error) {
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "", "", invalid(op, "nil entity")
	}
	id, syncToken = v.Identity()
	return id, syncToken, nil
}

// requireIdentity is identity for calls that need both values.
func requireIdentity(op string, v Entity) (id, syncToken string, err error) {
	if id, syncToken, err = identity(op, v); err == nil && (id == "" || syncToken == "") {
		err = invalid(op, "Id and SyncToken are required")
	}
	return id, syncToken, err
}
