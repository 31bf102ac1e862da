package billing

import "testing"

// TestCharacterRules pins the character and id rules of docs/webhooks.md
// ("Characters and ids") on a real sample event.
func TestCharacterRules(t *testing.T) {
	const (
		customer = "01-customer-cus_1001.json"
		invoice  = "04-invoice-inv_1001.json"
	)
	tests := []struct {
		name  string
		file  string
		edits map[string]string
		wants []want
	}{
		// An optional id is either absent, null or "", or a real id: a line
		// whose product_id is blank would wait forever for that product.
		{"product_id spaces", invoice, map[string]string{"data.lines.0.product_id": str("   ")},
			[]want{{"data.lines[0].product_id", "A-Z a-z 0-9 . _ : -"}}},
		{"product_id non-breaking space", invoice, map[string]string{"data.lines.0.product_id": `"\u00a0"`},
			[]want{{"data.lines[0].product_id", "A-Z a-z 0-9 . _ : -"}}},
		{"parent_id tab", customer, map[string]string{"data.parent_id": `"\t"`},
			[]want{{"data.parent_id", "A-Z a-z 0-9 . _ : -"}}},
		{"product_id empty", invoice, map[string]string{"data.lines.0.product_id": str("")}, nil},

		// C1 control characters (U+0080–U+009F) are refused like C0 ones.
		{"C1 next line", customer, map[string]string{"data.display_name": `"Acme\u0085Corp"`},
			[]want{{"data.display_name", "control characters"}}},
		{"C1 application program command", invoice, map[string]string{"data.lines.0.description": `"Basic\u009f plan"`},
			[]want{{"data.lines[0].description", "control characters"}}},
		{"C1 alone in optional text", invoice, map[string]string{"data.notes": `"\u0080"`},
			[]want{{"data.notes", "control characters"}}},
		{"Latin-1 letter", customer, map[string]string{"data.display_name": `"Caf\u00e9 \u00a0Acme"`}, nil},

		// A control character is refused even when the text is otherwise blank.
		{"notes form feed", invoice, map[string]string{"data.notes": `"\f"`}, []want{{"data.notes", "control characters"}}},
		{"notes vertical tab", invoice, map[string]string{"data.notes": `"\u000b "`}, []want{{"data.notes", "control characters"}}},
		{"notes blank", invoice, map[string]string{"data.notes": str(" \t\n ")}, nil},

		// RFC 3339 §5.6: "T" and "Z" may be written in lower case; the
		// fraction is written with a full stop.
		{"occurred_at lower-case t and z", invoice, map[string]string{"occurred_at": str("2026-11-21t10:15:00z")}, nil},
		{"occurred_at lower-case t, offset", invoice, map[string]string{"occurred_at": str("2026-11-21t10:15:00.5+09:00")}, nil},
		{"occurred_at comma fraction", invoice, map[string]string{"occurred_at": str("2026-11-21T10:15:00,123Z")},
			[]want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at offset hour 24", invoice, map[string]string{"occurred_at": str("2026-11-21T10:15:00+24:00")},
			[]want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at offset minute 60", invoice, map[string]string{"occurred_at": str("2026-11-21T10:15:00+09:60")},
			[]want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at leap second", invoice, map[string]string{"occurred_at": str("2026-12-31T23:59:60Z")},
			[]want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at 29 February 2026", invoice, map[string]string{"occurred_at": str("2026-02-29T10:15:00Z")},
			[]want{{"occurred_at", "RFC 3339"}}},
		{"occurred_at 29 February 2000", invoice, map[string]string{"occurred_at": str("2000-02-29T10:15:00-00:00")}, nil},
		{"occurred_at empty fraction", invoice, map[string]string{"occurred_at": str("2026-11-21T10:15:00.Z")},
			[]want{{"occurred_at", "RFC 3339"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := edit(t, readSample(t, tt.file), tt.edits)
			if tt.wants == nil {
				if _, err := ParseEvent(body); err != nil {
					t.Fatalf("ParseEvent: %v", err)
				}
				return
			}
			checkProblems(t, problemsOf(t, body), tt.wants)
		})
	}
}
