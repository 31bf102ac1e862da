package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type customerConnItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	CustomerConnection
}

func customerConnSK(id string) string { return "CC#" + id }

// SaveCustomerConnection records c and an audit entry together.
func (s *Store) SaveCustomerConnection(ctx context.Context, tenant string, c CustomerConnection) error {
	if c.At.IsZero() {
		c.At = s.now().UTC()
	}
	av, err := attributevalue.MarshalMap(customerConnItem{PK: tenantPK(tenant), SK: customerConnSK(c.CustomerID), CustomerConnection: c})
	if err != nil {
		return fmt.Errorf("encode customer connection: %w", err)
	}
	detail := "mode " + c.Mode
	if c.QBOID != "" {
		detail += ", QuickBooks customer " + c.QBOID
	}
	if c.StartDate != "" {
		detail += ", financial data from " + c.StartDate
	}
	audit, err := s.auditPut(tenant, AuditEntry{At: c.At, By: c.By, Action: "connect_customer",
		Kind: "customer", ID: c.CustomerID, Detail: detail})
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		audit, {Put: &types.Put{TableName: &s.table, Item: av}},
	}})
	if err != nil {
		return fmt.Errorf("save connection of customer %s: %w", c.CustomerID, err)
	}
	return nil
}

// CustomerConnection returns how customer id was connected; ErrNotFound
// when no admin connected it. The engine reads StartDate from it.
func (s *Store) CustomerConnection(ctx context.Context, tenant, id string) (CustomerConnection, error) {
	var it customerConnItem
	if err := s.get(ctx, tenantPK(tenant), customerConnSK(id), &it); err != nil {
		return CustomerConnection{}, err
	}
	return it.CustomerConnection, nil
}
