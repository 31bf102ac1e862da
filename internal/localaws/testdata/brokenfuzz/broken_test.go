// Package brokenfuzz does not compile, on purpose: make fuzz must fail on it.
package brokenfuzz

import "testing"

func FuzzBroken(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) { undefinedFunction(s) })
}
