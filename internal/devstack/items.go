package devstack

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemCount is what the requests touching one kind of item cost.
type ItemCount struct {
	Requests int
	// Failed counts the requests answered with an error, a refused
	// condition or a cancelled transaction among them: lost races.
	Failed     int
	WriteUnits float64
}

func (c ItemCount) add(write float64, failed bool) ItemCount {
	c.Requests++
	c.WriteUnits += write
	if failed {
		c.Failed++
	}
	return c
}

// itemLabel names a DynamoDB request by its operation and the kinds of
// item it touches, from their sort keys' prefixes ("E", "L", "C", "H",
// "SCHEDULE", "QBO", ...): "GetItem L", "TransactWriteItems C+E+H",
// "Query status-index", so a run's cost can be split by what it is for.
func itemLabel(op string, in any) string {
	var kinds []string
	switch v := in.(type) {
	case *dynamodb.GetItemInput:
		kinds = []string{skKind(v.Key)}
	case *dynamodb.PutItemInput:
		kinds = []string{skKind(v.Item)}
	case *dynamodb.UpdateItemInput:
		kinds = []string{skKind(v.Key)}
	case *dynamodb.DeleteItemInput:
		kinds = []string{skKind(v.Key)}
	case *dynamodb.QueryInput:
		if v.IndexName != nil {
			kinds = []string{*v.IndexName}
		} else {
			p, _, _ := strings.Cut(attrString(v.ExpressionAttributeValues[":p"]), "#")
			kinds = []string{p}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range v.TransactItems {
			switch {
			case it.Put != nil:
				kinds = append(kinds, skKind(it.Put.Item))
			case it.Update != nil:
				kinds = append(kinds, skKind(it.Update.Key))
			case it.Delete != nil:
				kinds = append(kinds, skKind(it.Delete.Key))
			case it.ConditionCheck != nil:
				kinds = append(kinds, skKind(it.ConditionCheck.Key))
			}
		}
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range v.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					kinds = append(kinds, skKind(r.PutRequest.Item))
				} else if r.DeleteRequest != nil {
					kinds = append(kinds, skKind(r.DeleteRequest.Key))
				}
			}
		}
	}
	sort.Strings(kinds)
	kinds = dedupe(kinds)
	if len(kinds) == 0 {
		return op
	}
	return op + " " + strings.Join(kinds, "+")
}

// skKind is the part of an item's sort key before its first '#', or the
// whole key for the fixed ones (TENANT, QBO, SCHEDULE).
func skKind(av map[string]types.AttributeValue) string {
	sk := attrString(av["sk"])
	if i := strings.IndexByte(sk, '#'); i >= 0 {
		return sk[:i]
	}
	return sk
}

func attrString(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
