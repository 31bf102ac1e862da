package store_test

import (
	"encoding/base64"
	"errors"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/store"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func sameKey(a, b map[string]types.AttributeValue) bool {
	return maps.EqualFunc(a, b, func(x, y types.AttributeValue) bool {
		return x.(*types.AttributeValueMemberS).Value == y.(*types.AttributeValueMemberS).Value
	})
}

// A cursor goes back to the listing that made it and to no other: every
// listing (entities by status, the event log, imported customers) checks
// cursors here, so another tenant's cursor, another status's, other items'
// or a tampered one is refused, never followed into another partition.
func TestCursorOnlyResumesItsOwnListing(t *testing.T) {
	statusIndex := map[string]types.AttributeValue{"pk": s("T#acme"), "sk": s("E#invoice#inv_1"),
		"gsi1pk": s("T#acme#S#not_tried"), "gsi1sk": s("2#invoice#2026-11-21T10:00:00Z")}
	table := map[string]types.AttributeValue{"pk": s("T#acme"), "sk": s("QC#58")}
	acmeStatus := store.CursorScope{PK: store.TenantPK("acme"), GSIPK: "T#acme#S#not_tried"}
	acmeImports := store.CursorScope{PK: store.TenantPK("acme"), SKPrefix: "QC#"}

	for _, tt := range []struct {
		name  string
		lek   map[string]types.AttributeValue
		scope store.CursorScope
	}{
		{"index page", statusIndex, acmeStatus},
		{"table page", table, acmeImports},
	} {
		text, err := store.EncodeCursor(tt.lek)
		if err != nil || text == "" {
			t.Fatalf("%s: encode = %q, %v", tt.name, text, err)
		}
		got, err := store.DecodeCursor(text, tt.scope)
		if err != nil || !sameKey(got, tt.lek) {
			t.Errorf("%s: decode = %v, %v; want the page's last key back", tt.name, got, err)
		}
	}
	if last, err := store.EncodeCursor(nil); last != "" || err != nil {
		t.Errorf("after the last page: cursor %q, %v; want none", last, err)
	}

	statusCursor, _ := store.EncodeCursor(statusIndex)
	importCursor, _ := store.EncodeCursor(table)
	refused := []struct {
		name, text string
		scope      store.CursorScope
	}{
		{"another tenant's entities", statusCursor, store.CursorScope{PK: store.TenantPK("other"), GSIPK: "T#other#S#not_tried"}},
		{"acme's cursor, index partition of another tenant", statusCursor, store.CursorScope{PK: store.TenantPK("acme"), GSIPK: "T#other#S#not_tried"}},
		{"another status", statusCursor, store.CursorScope{PK: store.TenantPK("acme"), GSIPK: "T#acme#S#warning"}},
		{"an index cursor for a table listing", statusCursor, acmeImports},
		{"a table cursor for an index listing", importCursor, acmeStatus},
		{"another tenant's imported customers", importCursor, store.CursorScope{PK: store.TenantPK("other"), SKPrefix: "QC#"}},
		{"other items of the partition", importCursor, store.CursorScope{PK: store.TenantPK("acme"), SKPrefix: "OB#"}},
		{"not base64", "%%%", acmeImports},
		{"not a cursor", base64.RawURLEncoding.EncodeToString([]byte("QC#58")), acmeImports},
		{"no sort key", base64.RawURLEncoding.EncodeToString([]byte(`{"pk":"T#acme"}`)), store.CursorScope{PK: "T#acme"}},
	}
	for _, tt := range refused {
		if start, err := store.DecodeCursor(tt.text, tt.scope); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("%s: decode = %v, %v; want ErrBadCursor", tt.name, start, err)
		}
	}
}
