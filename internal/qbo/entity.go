package qbo

import (
	"reflect"
	"strings"
	"time"
)

// Entity is a top-level QBO object with its own resource path. EntityName
// is Intuit's name for it ("Invoice"); the path segment is its lower case.
// Entity types implement it on the value receiver; the generic operations
// take the value type (Create[Invoice], not Create[*Invoice]).
type Entity interface {
	EntityName() string
	// Identity returns the object's Id and SyncToken, "" before it exists.
	Identity() (id, syncToken string)
}

// WithIdentity returns v naming object id at syncToken; sparse makes an
// update leave what v omits alone in QBO. Every entity type of this
// package has a settable identity; a type without one is refused.
func WithIdentity[T Entity](v T, id, syncToken string, sparse bool) (T, error) {
	s, ok := any(&v).(Identifiable)
	if !ok {
		return v, invalid("identify "+entityName[T](), "%T has no settable identity", v)
	}
	s.SetIdentity(id, syncToken, sparse)
	return v, nil
}

// entityName returns T's name without needing a value, also when T is a
// pointer type whose zero value is nil.
func entityName[T Entity]() string {
	var v T
	if t := reflect.TypeFor[T](); t.Kind() == reflect.Pointer {
		return reflect.New(t.Elem()).Interface().(Entity).EntityName()
	}
	return v.EntityName()
}

// segment is the resource path segment of an entity name.
func segment(name string) string { return strings.ToLower(name) }

// Ref points at another object by Id (ReferenceType).
type Ref struct {
	Value string `json:"value,omitempty"`
	Name  string `json:"name,omitempty"`
}

// MetaData is set by QBO and read-only.
type MetaData struct {
	CreateTime      time.Time `json:"CreateTime,omitzero"`
	LastUpdatedTime time.Time `json:"LastUpdatedTime,omitzero"`
}

// EmailAddress is an e-mail address.
type EmailAddress struct {
	Address string `json:"Address,omitempty"`
}

// TelephoneNumber is a phone number as entered.
type TelephoneNumber struct {
	FreeFormNumber string `json:"FreeFormNumber,omitempty"`
}

// PhysicalAddress is a postal address.
type PhysicalAddress struct {
	ID                     string `json:"Id,omitempty"`
	Line1                  string `json:"Line1,omitempty"`
	Line2                  string `json:"Line2,omitempty"`
	Line3                  string `json:"Line3,omitempty"`
	Line4                  string `json:"Line4,omitempty"`
	Line5                  string `json:"Line5,omitempty"`
	City                   string `json:"City,omitempty"`
	Country                string `json:"Country,omitempty"`
	CountrySubDivisionCode string `json:"CountrySubDivisionCode,omitempty"`
	PostalCode             string `json:"PostalCode,omitempty"`
}

// MemoRef is a printed memo (CustomerMemo).
type MemoRef struct {
	Value string `json:"value,omitempty"`
}

// NameValue is a free-form setting.
type NameValue struct {
	Name  string `json:"Name,omitempty"`
	Value string `json:"Value,omitempty"`
}

// Bool returns a pointer to b, for the *bool fields where false must be
// sent (Active: false) and unset must be omitted.
func Bool(b bool) *bool { return &b }
