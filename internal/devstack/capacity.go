package devstack

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// functionOf names the function whose invocation ctx belongs to (the
// logical id the stack invokes it under), or "" outside any.
func functionOf(ctx context.Context) string {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return ""
	}
	arn := lc.InvokedFunctionArn
	return arn[strings.LastIndex(arn, ":")+1:]
}

// withCapacity makes every DynamoDB request of cfg's clients ask for the
// capacity it consumed (ReturnConsumedCapacity TOTAL) and hands the units
// to count, so a run's write and read units are DynamoDB's own figures.
// The request is counted under its itemLabel too.
func withCapacity(cfg aws.Config, count func(ctx context.Context, label string, read, write float64, failed bool)) aws.Config {
	c := cfg.Copy()
	c.APIOptions = append(c.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCapacity",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				askCapacity(in.Parameters)
				label := itemLabel(middleware.GetOperationName(ctx), in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				var read, write float64
				if err == nil {
					read, write = consumed(out.Result)
				}
				count(ctx, label, read, write, err != nil)
				return out, md, err
			}), middleware.After)
	})
	return c
}

func askCapacity(in any) {
	total := types.ReturnConsumedCapacityTotal
	switch v := in.(type) {
	case *dynamodb.PutItemInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.GetItemInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.ScanInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.TransactGetItemsInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		v.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		v.ReturnConsumedCapacity = total
	}
}

// consumed returns the read and write units an operation's output reports.
func consumed(out any) (read, write float64) {
	var cs []types.ConsumedCapacity
	switch v := out.(type) {
	case *dynamodb.PutItemOutput:
		cs = one(v.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		cs = one(v.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		cs = one(v.ConsumedCapacity)
	case *dynamodb.GetItemOutput:
		cs = one(v.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		cs = one(v.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		cs = one(v.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		cs = v.ConsumedCapacity
	case *dynamodb.TransactGetItemsOutput:
		cs = v.ConsumedCapacity
	case *dynamodb.BatchWriteItemOutput:
		cs = v.ConsumedCapacity
	case *dynamodb.BatchGetItemOutput:
		cs = v.ConsumedCapacity
	}
	for _, c := range cs {
		read += aws.ToFloat64(c.ReadCapacityUnits)
		write += aws.ToFloat64(c.WriteCapacityUnits)
		if c.ReadCapacityUnits == nil && c.WriteCapacityUnits == nil {
			// TOTAL without the split: DynamoDB Local reports only
			// CapacityUnits; writes are what a write operation consumed.
			if isWrite(out) {
				write += aws.ToFloat64(c.CapacityUnits)
			} else {
				read += aws.ToFloat64(c.CapacityUnits)
			}
		}
	}
	return read, write
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

func isWrite(out any) bool {
	switch out.(type) {
	case *dynamodb.PutItemOutput, *dynamodb.UpdateItemOutput, *dynamodb.DeleteItemOutput,
		*dynamodb.TransactWriteItemsOutput, *dynamodb.BatchWriteItemOutput:
		return true
	}
	return false
}
