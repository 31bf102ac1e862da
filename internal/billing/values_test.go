package billing

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidTenant(t *testing.T) {
	good := []string{"a", "0", "acme", "acme-co_2", "a" + strings.Repeat("b", 62)}
	bad := []string{"", "-acme", "_acme", "Acme", "acme co", "acme#1", "acme.co", "a" + strings.Repeat("b", 63), "ácme"}
	for _, s := range good {
		if !ValidTenant(s) {
			t.Errorf("ValidTenant(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidTenant(s) {
			t.Errorf("ValidTenant(%q) = true", s)
		}
	}
}

func TestValidEntityID(t *testing.T) {
	good := []string{"c", "cus_1001", "in_1MtHbELkdIwHu7ixl4OzzPMv", "a.b:c-d_e", strings.Repeat("x", 64)}
	bad := []string{"", "cus 1", "cus#1", "cus/1", "ü", strings.Repeat("x", 65)}
	for _, s := range good {
		if !ValidEntityID(s) {
			t.Errorf("ValidEntityID(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidEntityID(s) {
			t.Errorf("ValidEntityID(%q) = true", s)
		}
	}
}

func TestValidEventID(t *testing.T) {
	good := []string{"e", "evt_8f14e45f", "urn:uuid:8f14e45f-ceea-467f-a0e6-1d2c5b4a1f3e", strings.Repeat("~", 128)}
	bad := []string{"", "evt 1", "evt\t1", "évt", strings.Repeat("e", 129)}
	for _, s := range good {
		if !ValidEventID(s) {
			t.Errorf("ValidEventID(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidEventID(s) {
			t.Errorf("ValidEventID(%q) = true", s)
		}
	}
}

func TestAllowedAction(t *testing.T) {
	for _, k := range Kinds {
		for _, a := range []string{ActionCreated, ActionUpdated} {
			if !AllowedAction(k, a) {
				t.Errorf("%s.%s not allowed", k, a)
			}
		}
		canDelete := k == KindCustomer || k == KindProduct
		if AllowedAction(k, ActionDeleted) != canDelete {
			t.Errorf("%s.deleted allowed = %v", k, !canDelete)
		}
		if AllowedAction(k, ActionVoided) == canDelete {
			t.Errorf("%s.voided allowed = %v", k, canDelete)
		}
		if AllowedAction(k, "archived") || AllowedAction(k, "") {
			t.Errorf("%s: unknown action allowed", k)
		}
	}
	if AllowedAction("order", ActionCreated) {
		t.Error("order.created allowed")
	}
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2028-02-29")
	if err != nil || d != (Date{2028, time.February, 29}) || d.String() != "2028-02-29" {
		t.Errorf("ParseDate(2028-02-29) = %v, %v", d, err)
	}
	for _, s := range []string{"2027-02-29", "2026-13-01", "2026-1-01", "2026-01-1", "20260101", "2026-01-01Z", "", "1899-12-31", "+2026-01-01"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q): want error", s)
		}
	}
	if !(Date{2026, 1, 31}).Before(Date{2026, 2, 1}) || (Date{2026, 2, 1}).Before(Date{2026, 2, 1}) {
		t.Error("Before is wrong")
	}
	if b, _ := (Date{2026, 3, 4}).MarshalText(); string(b) != "2026-03-04" {
		t.Errorf("MarshalText = %s", b)
	}
}

func TestQuantityMulAmount(t *testing.T) {
	tests := []struct {
		q    Quantity
		unit int64
		want int64
	}{
		{"1", 4900, 4900},
		{"3", 1250, 3750},
		{"0", 1250, 0},
		{"1.5", 1999, 2999},    // 2998.5 rounds away from zero
		{"1.5", -1999, -2999},  // and so does -2998.5
		{"0.5", 3, 2},          // 1.5
		{"0.5", -3, -2},        // -1.5
		{"0.5", 1, 1},          // 0.5
		{"0.25", 1, 0},         // 0.25
		{"0.333333", 300, 100}, // 99.9999
		{"2.000001", 1000000, 2000001},
		{"0.000001", 499999, 0}, // 0.499999
		{"0.000001", 500000, 1}, // 0.5
		{"007", 100, 700},
		{"999999999999.999999", 1, 1000000000000},
		{"999999999999", 9223372, 9223371999990776628},
	}
	for _, tt := range tests {
		got, err := tt.q.MulAmount(tt.unit)
		if err != nil || got != tt.want {
			t.Errorf("%s × %d = %d, %v; want %d", tt.q, tt.unit, got, err, tt.want)
		}
	}
	if _, err := Quantity("999999999999").MulAmount(math.MaxInt64); err == nil {
		t.Error("overflowing product: want error")
	}
	for _, q := range []Quantity{"", "-1", "1.", ".5", "1e2", "1,5", " 1", "1.1234567", "1234567890123"} {
		if _, err := q.MulAmount(1); err == nil {
			t.Errorf("Quantity(%q).MulAmount: want error", q)
		}
		if _, err := ParseQuantity(string(q)); err == nil {
			t.Errorf("ParseQuantity(%q): want error", q)
		}
	}
}
