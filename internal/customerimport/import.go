// Package customerimport finds the QuickBooks customers no billing
// customer is linked to, keeps them for the admin to link, and tells
// billing of each one (quickbooks.customer.found), at connect and on
// demand.
package customerimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/outbound"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/store"
)

// TypeCustomerFound: a QuickBooks customer no billing customer is linked to.
const TypeCustomerFound = "quickbooks.customer.found"

// DB is the slice of the DynamoDB client the importer uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Links lists a tenant's links to QuickBooks objects (store.Store).
type Links interface {
	Links(ctx context.Context, tenant string) ([]store.Link, error)
}

// Tokens hands out a tenant's connection with a fresh access token.
type Tokens interface {
	Token(ctx context.Context, tenant string, force bool) (store.Connection, error)
}

// Recorder records an event to billing (outbound.Store).
type Recorder interface {
	Record(ctx context.Context, e outbound.Event) error
}

// Importer reads a tenant's QuickBooks customers. Its HTTP client must be
// the accounting client, so its reads share the company's budget.
type Importer struct {
	DB         DB
	Table      string
	Links      Links
	Tokens     Tokens
	Events     Recorder
	QBOBaseURL string
	HTTPClient *http.Client
	Now        func() time.Time
}

// ErrNotConnected: the tenant has no working QuickBooks connection.
var ErrNotConnected = errors.New("not connected to QuickBooks")

// Result is what one import did.
type Result struct {
	// Read is how many QuickBooks customers were read, Unlinked how many
	// of them no billing customer is linked to, Found how many of those
	// were new to billing (an event each).
	Read, Unlinked, Found int
	At                    time.Time
}

func (im *Importer) now() time.Time {
	if im.Now == nil {
		return time.Now()
	}
	return im.Now()
}

// Import reads every active customer of the tenant's company and keeps
// the unlinked ones; billing hears of each once per company.
func (im *Importer) Import(ctx context.Context, tenant string) (Result, error) {
	conn, err := im.Tokens.Token(ctx, tenant, false)
	if err != nil || conn.Status != store.ConnConnected || conn.RealmID == "" {
		return Result{}, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	api := qbo.New(qbo.WithToken(im.HTTPClient, conn.AccessToken), im.QBOBaseURL)
	found, err := qbo.QueryAll[qbo.Customer](ctx, api, conn.RealmID, "select * from Customer where Active = true orderby Id")
	if err != nil {
		return Result{}, fmt.Errorf("read QuickBooks customers of %s: %w", tenant, err)
	}
	linked, err := im.linked(ctx, tenant)
	if err != nil {
		return Result{}, err
	}
	kept, err := im.keptIDs(ctx, tenant)
	if err != nil {
		return Result{}, err
	}
	res := Result{Read: len(found), At: im.now().UTC()}
	for _, c := range found {
		if linked[c.ID] || markedForBilling(c.Notes) {
			continue
		}
		res.Unlinked++
		if kept[c.ID] {
			delete(kept, c.ID)
			continue
		}
		// Recorded before it is kept: what is kept was sent to billing.
		cand := candidate(c, conn.RealmID, res.At)
		if err := im.Events.Record(ctx, foundEvent(tenant, cand)); err != nil {
			return res, err
		}
		if err := im.keep(ctx, tenant, cand); err != nil {
			return res, err
		}
		res.Found++
	}
	// What is kept and was not unlinked now got linked, merged or made inactive.
	for id := range kept {
		if err := im.Forget(ctx, tenant, id); err != nil {
			return res, err
		}
	}
	return res, im.saveState(ctx, tenant, conn.RealmID, res)
}

// linked is the QuickBooks ids billing customers are linked to.
func (im *Importer) linked(ctx context.Context, tenant string) (map[string]bool, error) {
	links, err := im.Links.Links(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("read links of %s: %w", tenant, err)
	}
	out := map[string]bool{}
	for _, l := range links {
		if l.Kind == billing.KindCustomer && l.QBOID != "" {
			out[l.QBOID] = true
		}
	}
	return out, nil
}

// billingMarker is the note the sync writes into a customer it made, for
// this tenant or another one sharing the company.
var billingMarker = regexp.MustCompile(`\[billing (?:[a-z0-9_-]+/)?customer [^\]\s]+\]`)

// markedForBilling: the customer mirrors a billing customer already,
// whose link may be on its way.
func markedForBilling(notes string) bool { return billingMarker.MatchString(notes) }

// Candidate is a QuickBooks customer no billing customer is linked to.
type Candidate struct {
	QBOID       string    `dynamodbav:"qbo_id" json:"qbo_customer_id"`
	RealmID     string    `dynamodbav:"realm" json:"realm_id"`
	DisplayName string    `dynamodbav:"display_name" json:"display_name"`
	CompanyName string    `dynamodbav:"company_name,omitempty" json:"company_name,omitempty"`
	Email       string    `dynamodbav:"email,omitempty" json:"email,omitempty"`
	Currency    string    `dynamodbav:"currency,omitempty" json:"currency,omitempty"`
	Balance     string    `dynamodbav:"balance,omitempty" json:"balance,omitempty"`
	FoundAt     time.Time `dynamodbav:"found_at" json:"found_at"`
}

func candidate(c qbo.Customer, realm string, at time.Time) Candidate {
	out := Candidate{QBOID: c.ID, RealmID: realm, DisplayName: c.DisplayName, CompanyName: c.CompanyName, FoundAt: at}
	if c.PrimaryEmailAddr != nil {
		out.Email = c.PrimaryEmailAddr.Address
	}
	if c.CurrencyRef != nil {
		out.Currency = c.CurrencyRef.Value
	}
	// QuickBooks' decimal, written again in the currency's own digits.
	if minor, err := money.Parse(c.Balance.String(), out.Currency); err == nil && c.Balance != "" && out.Currency != "" {
		out.Balance, _ = money.Format(minor, out.Currency)
	}
	return out
}

// foundEvent is billing's news of one customer: once per tenant, company
// and customer, however often the import runs.
func foundEvent(tenant string, c Candidate) outbound.Event {
	sum := sha256.Sum256([]byte(tenant + "\x00" + c.RealmID + "\x00" + c.QBOID))
	data, _ := json.Marshal(c)
	return outbound.Event{ID: "evt_qbo_cust_" + hex.EncodeToString(sum[:12]), Tenant: tenant, Type: TypeCustomerFound,
		OccurredAt: c.FoundAt, Data: data}
}
