package store_test

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
	"github.com/qbosync/qbosync/internal/store"
	"github.com/qbosync/qbosync/internal/throttle"
)

// countingDB counts the reads a store sends to DynamoDB Local.
type countingDB struct {
	store.DB
	mu    sync.Mutex
	gets  int
	batch int
}

func (c *countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.DB.GetItem(ctx, in, opts...)
}

func (c *countingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.mu.Lock()
	c.batch++
	c.mu.Unlock()
	return c.DB.BatchGetItem(ctx, in, opts...)
}

// reads returns and resets the GetItem and BatchGetItem counts.
func (c *countingDB) reads() (gets, batch int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gets, batch = c.gets, c.batch
	c.gets, c.batch = 0, 0
	return gets, batch
}

// twoFunctions returns two stores on one table, as two functions are, the
// first counting its reads.
func twoFunctions(t *testing.T) (*store.Store, *countingDB, *store.Store) {
	t.Helper()
	_, _, res := stack.ForTest(t)
	db := &countingDB{DB: stack.DynamoDB}
	return store.New(db, res.Table, nil), db, store.New(stack.DynamoDB, res.Table, nil)
}

// A sync's status write after its read costs no second read; when
// another function changed the entity in between, the write decided from
// the memory is refused and decided again from a fresh read, so the
// counters stay exact (here the notice another function recorded).
func TestStatusAfterReadDecidesFromTheRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, db, b := twoFunctions(t)
	mustPut(t, a, entity("acme", billing.KindInvoice, "inv_1", 1))
	if _, err := a.Entity(ctx, "acme", billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	db.reads()
	mustStatus(t, a, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Version: 1, Status: store.StatusWaiting, WaitingOn: "customer/cus_1"})
	if gets, _ := db.reads(); gets != 0 {
		t.Errorf("status write after a read sent %d GetItem, want 0", gets)
	}

	mustStatus(t, a, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Version: 1, Status: store.StatusSynced})
	// Another function records the same status with a notice in between:
	// only rev tells the memory is stale.
	if _, err := a.Entity(ctx, "acme", billing.KindInvoice, "inv_1"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, b, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Version: 1, Status: store.StatusSynced,
		Warning: &store.Warning{Message: "posted in the open period", Notice: true}})
	db.reads()
	mustStatus(t, a, "acme", billing.KindInvoice, "inv_1", store.StatusUpdate{Version: 1, Status: store.StatusSynced})
	if gets, _ := db.reads(); gets != 1 {
		t.Errorf("status write from a stale read sent %d GetItem, want 1 (the re-read)", gets)
	}
	got, err := b.Entity(ctx, "acme", billing.KindInvoice, "inv_1")
	if err != nil || got.Status != store.StatusSynced || got.Warning != nil || got.Attempts != 4 {
		t.Fatalf("entity = %+v, %v; want synced without warning after 4 attempts", got, err)
	}
	c, err := b.Counts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if c[billing.KindInvoice][store.StatusSynced] != 1 || c.Notices(billing.KindInvoice) != 0 || c.Total(billing.KindInvoice) != 1 {
		t.Errorf("counts = %v, want one synced invoice and no notice", c[billing.KindInvoice])
	}
}

// An entity's "created" event is written without a read; when the entity
// exists after all (a re-sent creation, a newer version stored first) the
// refused write reads and decides as any other.
func TestCreatedEventForAStoredEntity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, db, _ := twoFunctions(t)
	db.reads()
	mustPut(t, a, entity("acme", billing.KindInvoice, "inv_1", 2))
	if gets, _ := db.reads(); gets != 0 {
		t.Errorf("first write of a created entity sent %d GetItem, want 0", gets)
	}
	if err := a.PutSnapshot(ctx, entity("acme", billing.KindInvoice, "inv_1", 1)); !errors.Is(err, store.ErrStale) {
		t.Errorf("older created event: %v, want ErrStale", err)
	}
	var unchanged *store.UnchangedError
	if err := a.PutSnapshot(ctx, entity("acme", billing.KindInvoice, "inv_1", 2)); !errors.As(err, &unchanged) {
		t.Errorf("same created event again: %v, want UnchangedError", err)
	}
	c, _ := a.Counts(ctx, "acme")
	if c[billing.KindInvoice][store.StatusNotTried] != 1 {
		t.Errorf("counts = %v, want one invoice not tried", c[billing.KindInvoice])
	}
}

// An entity item stored before items carried rev (a deployed table) is
// read, and its status written, counters and all.
func TestEntityStoredWithoutRev(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, res := stack.ForTest(t)
	s := store.New(stack.DynamoDB, res.Table, nil)
	at := "2026-11-21T10:00:00Z"
	old := map[string]types.AttributeValue{
		"pk": str("T#acme"), "sk": str("E#invoice#inv_old"), "gsi1pk": str("T#acme#S#not_tried"),
		"gsi1sk": str("2#invoice#2026-11-21T10:00:00.000000Z#inv_old"), "kind": str("invoice"), "id": str("inv_old"),
		"version": num("4"), "customer_id": str("cus_1"), "action": str("updated"), "event_id": str("evt_old"),
		"occurred_at": str(at), "received_at": str(at), "updated_at": str(at), "since": str(at),
		"data": str(`{"id":"inv_old","lines":[{"id":"l1"}]}`), "status": str("not_tried"),
		"status_version": num("4"), "attempts": num("0"),
	}
	counter := map[string]types.AttributeValue{"pk": str("T#acme"), "sk": str(counterSK("invoice", "inv_old")), "not_tried": num("1")}
	for _, it := range []map[string]types.AttributeValue{old, counter} {
		if _, err := stack.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(res.Table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Entity(ctx, "acme", billing.KindInvoice, "inv_old")
	if err != nil || got.Version != 4 || string(got.Data) != `{"id":"inv_old","lines":[{"id":"l1"}]}` || got.Status != store.StatusNotTried {
		t.Fatalf("old item read as %+v, %v", got, err)
	}
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_old", store.StatusUpdate{Version: 4, Status: store.StatusWaiting, WaitingOn: "customer/cus_1"})
	if _, err := s.Entity(ctx, "acme", billing.KindInvoice, "inv_old"); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, s, "acme", billing.KindInvoice, "inv_old", store.StatusUpdate{Version: 4, Status: store.StatusSynced})
	got, _ = s.Entity(ctx, "acme", billing.KindInvoice, "inv_old")
	if got.Status != store.StatusSynced || got.Attempts != 2 {
		t.Errorf("entity = %+v, want synced after 2 attempts", got)
	}
	c, _ := s.Counts(ctx, "acme")
	if c[billing.KindInvoice][store.StatusSynced] != 1 || c.Total(billing.KindInvoice) != 1 {
		t.Errorf("counts = %v, want the one invoice synced", c[billing.KindInvoice])
	}
}

// Prefetched items answer the first read of each with the context that
// carries them, an absent one included; a second read, or any read after
// a write with that context, goes to the table.
func TestPrefetchAnswersFirstReadsUntilAWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db, _ := twoFunctions(t)
	l, err := s.PutLink(ctx, record.Link{Tenant: "acme", Kind: billing.KindCustomer, ID: "cus_1", RealmID: "9130", State: record.LinkLinked, QBOID: "58"})
	if err != nil {
		t.Fatal(err)
	}
	cus, inv := billing.Ref{Kind: billing.KindCustomer, ID: "cus_1"}, billing.Ref{Kind: billing.KindInvoice, ID: "inv_1"}
	db.reads()
	pctx := s.Prefetch(ctx, "acme", record.Reads{Links: []billing.Ref{cus, inv}})
	got, err := s.Link(pctx, "acme", billing.KindCustomer, "cus_1")
	if err != nil || got.QBOID != "58" || got.Rev != l.Rev {
		t.Fatalf("prefetched link = %+v, %v", got, err)
	}
	if _, err := s.Link(pctx, "acme", billing.KindInvoice, "inv_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("prefetched absent link: %v, want ErrNotFound", err)
	}
	if gets, batch := db.reads(); gets != 0 || batch != 1 {
		t.Errorf("prefetch and two reads sent %d GetItem and %d BatchGetItem, want 0 and 1", gets, batch)
	}
	if _, err := s.Link(pctx, "acme", billing.KindCustomer, "cus_1"); err != nil {
		t.Fatal(err)
	}
	if gets, _ := db.reads(); gets != 1 {
		t.Errorf("second read sent %d GetItem, want 1", gets)
	}

	pctx = s.Prefetch(ctx, "acme", record.Reads{Links: []billing.Ref{cus, inv}})
	if _, err := s.PutLink(pctx, record.Link{Tenant: "acme", Kind: billing.KindInvoice, ID: "inv_1", RealmID: "9130", State: record.LinkCreating}); err != nil {
		t.Fatal(err)
	}
	db.reads()
	got, err = s.Link(pctx, "acme", billing.KindInvoice, "inv_1")
	if err != nil || got.State != record.LinkCreating {
		t.Fatalf("link read after the context's write = %+v, %v; want the intent written", got, err)
	}
	if gets, _ := db.reads(); gets != 1 {
		t.Errorf("read after a write sent %d GetItem, want 1", gets)
	}
}

// The first admission after this function's own write plans from what it
// wrote, without a read; a rest another function set meanwhile (a 429)
// still refuses it.
func TestAdmitFromOwnWriteStillSeesAnotherFunctionsRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, db, b := twoFunctions(t)
	p := throttle.DefaultPolicy()
	now := time.Unix(1_800_000_000, 0)
	g, refused, err := a.Admit(ctx, "4620816365", p, 1, now)
	if err != nil || refused != nil {
		t.Fatalf("first admission: %+v, %v", refused, err)
	}
	if err := a.Release(ctx, "4620816365", g, 0); err != nil {
		t.Fatal(err)
	}
	db.reads()
	if g, refused, err = a.Admit(ctx, "4620816365", p, 1, now.Add(time.Second)); err != nil || refused != nil {
		t.Fatalf("second admission: %+v, %v", refused, err)
	}
	if gets, _ := db.reads(); gets != 0 {
		t.Errorf("admission after this function's release sent %d GetItem, want 0", gets)
	}
	if err := a.Release(ctx, "4620816365", g, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.ThrottleRealm(ctx, "4620816365", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, refused, err = a.Admit(ctx, "4620816365", p, 1, now.Add(2*time.Second))
	if err != nil || refused == nil || !refused.Resting {
		t.Fatalf("admission while another function's 429 rest holds: refused %+v, err %v; want resting", refused, err)
	}
}

// A function whose own writes left every slot taken still admits once
// another function freed one: its memory never refuses alone.
func TestAdmitFromOwnWriteSeesSlotsFreedElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, _, b := twoFunctions(t)
	p := throttle.DefaultPolicy()
	now := time.Unix(1_800_000_000, 0)
	var held []throttle.Grant
	for i := 0; i < p.Slots; i++ {
		g, refused, err := a.Admit(ctx, "4620816365", p, 1, now.Add(time.Duration(i)*p.Interval))
		if err != nil || refused != nil {
			t.Fatalf("admission %d: %+v, %v", i, refused, err)
		}
		held = append(held, g)
	}
	at := now.Add(time.Duration(p.Slots) * p.Interval)
	if _, refused, err := a.Admit(ctx, "4620816365", p, 1, at); err != nil || refused == nil {
		t.Fatalf("admission with every slot held: %+v, %v; want a refusal", refused, err)
	}
	if err := b.Release(ctx, "4620816365", held[0], 0); err != nil {
		t.Fatal(err)
	}
	if _, refused, err := a.Admit(ctx, "4620816365", p, 1, at); err != nil || refused != nil {
		t.Fatalf("admission after another function freed a slot: %+v, %v; want a grant", refused, err)
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n string) types.AttributeValue { return &types.AttributeValueMemberN{Value: n} }

// counterSK is the counter item of kind that id counts in (eight shards by
// FNV-1a of the id), as the store keys it.
func counterSK(kind, id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return "C#" + kind + "#" + string(rune('0'+h.Sum32()%8))
}
