package qbo

import "testing"

func TestNameIn(t *testing.T) {
	got := NameIn("DisplayName", "O'Hara")
	want := `DisplayName IN ('O\'Hara', 'O\'Hara (deleted)')`
	if got != want {
		t.Errorf("NameIn = %s, want %s", got, want)
	}
}
