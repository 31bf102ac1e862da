package e2e

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// itemSizes reads the tenant's items whose sort key starts with one of
// prefixes and returns, per prefix, the largest item's size in bytes as
// DynamoDB bills it (attribute names plus values), and that item's
// attributes by size.
func (e *tenantEnv) itemSizes(prefixes ...string) (map[string]int, map[string]string) {
	e.t.Helper()
	out, desc := map[string]int{}, map[string]string{}
	for _, p := range prefixes {
		in := &dynamodb.QueryInput{
			TableName:              aws.String(e.stack.Resources().Table),
			KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: "T#" + e.tenant}, ":p": &types.AttributeValueMemberS{Value: p},
			},
		}
		res, err := e.stack.Deps().DynamoDB.Query(context.Background(), in)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, it := range res.Items {
			if n := itemSize(it); n > out[p] {
				out[p], desc[p] = n, describeItem(it)
			}
		}
	}
	return out, desc
}

// describeItem lists an item's attributes with their billed sizes, the
// largest first.
func describeItem(it map[string]types.AttributeValue) string {
	names := make([]string, 0, len(it))
	for k := range it {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		return len(names[i])+valueSize(it[names[i]]) > len(names[j])+valueSize(it[names[j]])
	})
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%d ", k, len(k)+valueSize(it[k]))
	}
	return b.String()
}

// itemSize is DynamoDB's size of an item: the UTF-8 length of each
// attribute name plus its value's size.
func itemSize(it map[string]types.AttributeValue) int {
	n := 0
	for k, v := range it {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	}
	return 0
}

// numberSize: one byte per two significant digits, plus one.
func numberSize(s string) int {
	f, ok := new(big.Float).SetString(s)
	if !ok || f.Sign() == 0 {
		return 1
	}
	digits := strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(s), "0")
	return (len(digits)+1)/2 + 1
}
