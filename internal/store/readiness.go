package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// Readiness is the last check of a tenant's QuickBooks company against
// what the sync needs, taken at connect and hourly.
type Readiness struct {
	RealmID     string           `json:"realm_id"`
	CompanyName string           `json:"company_name,omitempty"`
	CheckedAt   time.Time        `json:"checked_at"`
	Checks      []ReadinessCheck `json:"checks"`
}

// ReadinessCheck is one finding.
type ReadinessCheck struct {
	// Code names the check: custom_txn_numbers, duplicate_doc_numbers,
	// auto_apply_credit, auto_apply_payments, closed_books, sales_tax,
	// multicurrency, ledger_accounts, company.
	Code string `json:"code"`
	// Level is ok, warning (syncing works, with a consequence) or
	// blocking (syncing will fail until fixed).
	Level   string `json:"level"`
	Message string `json:"message"`
}

// Readiness levels.
const (
	LevelOK       = "ok"
	LevelWarning  = "warning"
	LevelBlocking = "blocking"
)

type readinessItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Readiness Readiness `dynamodbav:"readiness"`
}

// SaveReadiness stores the tenant's latest readiness report.
func (s *Store) SaveReadiness(ctx context.Context, tenant string, r Readiness) error {
	r.CheckedAt = r.CheckedAt.UTC()
	if err := s.put(ctx, readinessItem{PK: tenantPK(tenant), SK: "READINESS", Readiness: r}, "", nil); err != nil {
		return fmt.Errorf("save readiness of %s: %w", tenant, err)
	}
	return nil
}

// Readiness returns the tenant's latest readiness report; ErrNotFound
// before the first check.
func (s *Store) Readiness(ctx context.Context, tenant string) (Readiness, error) {
	var it readinessItem
	if err := s.get(ctx, tenantPK(tenant), "READINESS", &it); err != nil {
		return Readiness{}, err
	}
	return it.Readiness, nil
}

// Entities lists every entity of kind the tenant has, whatever its status.
func (s *Store) Entities(ctx context.Context, tenant string, kind billing.Kind) ([]EntityState, error) {
	var out []EntityState
	err := s.queryPrefix(ctx, tenantPK(tenant), "E#"+string(kind)+"#", func(av map[string]types.AttributeValue) error {
		var it entityItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("decode entity: %w", err)
		}
		out = append(out, it.state(tenant))
		return nil
	})
	return out, err
}

// ForgetLinks deletes every link of the tenant (an admin's explicit,
// confirmed choice at disconnect or a reset to another company) and
// returns how many there were. Snapshots and statuses stay, and so do the
// dependents' counters of a link that has them: the edges they count
// stay too, and the entity's next link must still wake them.
func (s *Store) ForgetLinks(ctx context.Context, tenant string) (int, error) {
	var items []linkItem
	err := s.queryPrefix(ctx, tenantPK(tenant), "L#", func(av map[string]types.AttributeValue) error {
		var it linkItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("decode link: %w", err)
		}
		if it.Rev != 0 {
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for i, it := range items {
		if err := s.forgetLink(ctx, it); err != nil {
			return i, fmt.Errorf("forget link %s of %s: %w", it.SK, tenant, err)
		}
	}
	return len(items), nil
}

func (s *Store) forgetLink(ctx context.Context, it linkItem) error {
	if it.Waiters == 0 {
		in := deleteInput(s.table, it.PK, it.SK)
		in.ConditionExpression = aws.String("attribute_not_exists(waiters)")
		_, err := s.db.DeleteItem(ctx, in)
		if !errors.Is(conflict(err), ErrConflict) {
			return err
		}
		// a dependent was counted since the read: keep its count
	}
	names := map[string]string{}
	refs := make([]string, len(linkAttributes))
	for i, name := range linkAttributes {
		refs[i] = fmt.Sprintf("#a%d", i)
		names[refs[i]] = name
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(it.PK, it.SK),
		UpdateExpression: aws.String("REMOVE " + strings.Join(refs, ", ")), ExpressionAttributeNames: names})
	return err
}
