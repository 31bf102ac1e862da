package store

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// snapshotData is an entity's snapshot (the contract's JSON) as its item
// holds it: DEFLATE-compressed, in a binary attribute. An entity item is
// written in both status transactions of a sync, each charging 2 write
// units per KB, and copied whole into the status index; billing's JSON
// shrinks about threefold, so an invoice of several lines stays under
// the first KB. Items written before hold the JSON as a string, read as
// it is.
type snapshotData []byte

// MarshalDynamoDBAttributeValue compresses the snapshot.
func (d snapshotData) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(d); err != nil {
		return nil, fmt.Errorf("compress snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress snapshot: %w", err)
	}
	return &types.AttributeValueMemberB{Value: buf.Bytes()}, nil
}

// UnmarshalDynamoDBAttributeValue reads a compressed snapshot, or the
// plain JSON of an item written before snapshots were compressed.
func (d *snapshotData) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		*d = snapshotData(v.Value)
	case *types.AttributeValueMemberB:
		b, err := io.ReadAll(flate.NewReader(bytes.NewReader(v.Value)))
		if err != nil {
			return fmt.Errorf("decompress snapshot: %w", err)
		}
		*d = b
	case *types.AttributeValueMemberNULL:
		*d = nil
	default:
		return fmt.Errorf("snapshot stored as %T", av)
	}
	return nil
}
