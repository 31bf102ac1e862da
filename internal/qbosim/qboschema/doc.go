// Package qboschema knows which JSON properties Intuit's schema allows on
// each QuickBooks Online entity, so the simulator can reject what the real
// API rejects ("Request has invalid or unsupported property", code 2010) and
// ignore what it treats as read-only.
//
// The table in zz_generated.go is derived from the XSD Intuit ships with its
// PHP SDK, following Intuit's JSON mapping: element and attribute names are
// keys, repeated elements are arrays, and the text of a simpleContent type
// such as ReferenceType is the "value" key beside its attributes.
package qboschema

//go:generate go run ./gen -xsd ../../qbo/testdata/xsd -out zz_generated.go
