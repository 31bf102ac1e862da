package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrBadCursor: a cursor that this query did not produce.
var ErrBadCursor = errors.New("invalid cursor")

// CursorScope is what a listing reads, against which a cursor is checked:
// the table partition PK and, for a query of the status index, its
// partition GSIPK ("" for a query of the table); SKPrefix, when set, is
// how the sort key of every listed item begins.
type CursorScope struct {
	PK       string
	GSIPK    string
	SKPrefix string
}

// cursor is a page's LastEvaluatedKey, as the listing's caller holds it.
type cursor struct {
	PK     string `json:"pk"`
	SK     string `json:"sk"`
	GSI1PK string `json:"gpk,omitempty"`
	GSI1SK string `json:"gsk,omitempty"`
}

// EncodeCursor is the opaque text of a page's LastEvaluatedKey; "" after
// the last page (lek nil).
func EncodeCursor(lek map[string]types.AttributeValue) (string, error) {
	if lek == nil {
		return "", nil
	}
	c := cursor{PK: strOf(lek["pk"]), SK: strOf(lek["sk"]), GSI1PK: strOf(lek["gsi1pk"]), GSI1SK: strOf(lek["gsi1sk"])}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeCursor returns the ExclusiveStartKey of text, a cursor
// EncodeCursor made for a listing of scope. Anything else is ErrBadCursor:
// a cursor of another tenant's partition (or another status's), of other
// items, or tampered with, so no cursor reaches past what the caller may
// list.
func DecodeCursor(text string, scope CursorScope) (map[string]types.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, ErrBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.PK != scope.PK || c.GSI1PK != scope.GSIPK ||
		c.SK == "" || !strings.HasPrefix(c.SK, scope.SKPrefix) || (scope.GSIPK != "") != (c.GSI1SK != "") {
		return nil, ErrBadCursor
	}
	start := key(c.PK, c.SK)
	if scope.GSIPK != "" {
		start["gsi1pk"], start["gsi1sk"] = str(c.GSI1PK), str(c.GSI1SK)
	}
	return start, nil
}

func strOf(av types.AttributeValue) string {
	if v, ok := av.(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
