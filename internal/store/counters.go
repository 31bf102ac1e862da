package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/billing"
)

// Statuses lists every entity status in the order admins read them.
var Statuses = []Status{
	StatusNotTried, StatusWaiting, StatusSynced, StatusWarning,
	StatusDismissed, StatusNotConnected, StatusSkipped, StatusDrifted,
}

// counterShards spreads a kind's counters over several items, so a burst
// of status changes (a backfill) does not queue every write behind one item.
const counterShards = 8

func counterSK(kind billing.Kind, shard uint32) string {
	return fmt.Sprintf("C#%s#%d", kind, shard)
}

func shardOf(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32() % counterShards
}

// Counts are a tenant's entities per kind and status.
type Counts map[billing.Kind]map[Status]int64

// noticeCounter is the counter attribute of synced entities carrying a
// notice; it is kept in Counts beside the statuses, not as one of them.
const noticeCounter Status = "notices"

// Total is the number of entities of kind in any status: what billing holds.
func (c Counts) Total(kind billing.Kind) int64 {
	var n int64
	for st, v := range c[kind] {
		if st != noticeCounter {
			n += v
		}
	}
	return n
}

// Notices is the number of entities of kind synced with a notice.
func (c Counts) Notices(kind billing.Kind) int64 { return c[kind][noticeCounter] }

// Counts returns the tenant's entity counts. They are kept exact by moving
// them in the same transaction as every status change, so reading them is
// one small Query whatever the number of entities.
func (s *Store) Counts(ctx context.Context, tenant string) (Counts, error) {
	out := Counts{}
	err := s.queryPrefix(ctx, tenantPK(tenant), "C#", func(av map[string]types.AttributeValue) error {
		sk, _ := av["sk"].(*types.AttributeValueMemberS)
		if sk == nil {
			return nil
		}
		parts := strings.Split(sk.Value, "#")
		if len(parts) != 3 {
			return nil
		}
		kind := billing.Kind(parts[1])
		if out[kind] == nil {
			out[kind] = map[Status]int64{}
		}
		for _, st := range append(Statuses, noticeCounter) {
			n, ok := av[string(st)].(*types.AttributeValueMemberN)
			if !ok {
				continue
			}
			v, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return fmt.Errorf("counter %s: %w", sk.Value, err)
			}
			out[kind][st] += v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counts of %s: %w", tenant, err)
	}
	return out, nil
}

// change is one write to an entity item decided from its current state.
type change struct {
	status Status
	// notice: the entity synced with a notice (SetStatus decides it).
	notice bool
	// set and remove are UpdateExpression clauses besides the status and
	// index keys, which change fills in.
	set    []string
	remove []string
	names  map[string]string
	values map[string]types.AttributeValue
	// extra items written in the same transaction (history, audit).
	extra []types.TransactWriteItem
}

func (c *change) setValue(clause, name string, v types.AttributeValue) {
	c.set = append(c.set, clause)
	if c.values == nil {
		c.values = map[string]types.AttributeValue{}
	}
	c.values[name] = v
}

// transitionAttempts bounds the re-reads when concurrent writers keep
// changing the entity between read and write.
const transitionAttempts = 8

// transition reads the entity, asks decide for the write (cur is nil when
// the entity does not exist) and applies it conditionally on the state it
// was decided from. When the status changes, the tenant's counters move in
// the same transaction, so they can never drift from the items. The first
// round decides without a read when it can: from the item this process
// just read, or, when expectNew, from no item at all.
func (s *Store) transition(ctx context.Context, tenant string, kind billing.Kind, id string, expectNew bool,
	decide func(cur *entityItem) (change, error)) error {
	sk := entitySK(kind, id)
	for attempt := 0; attempt < transitionAttempts; attempt++ {
		cur, guessed, err := s.current(ctx, tenant, sk, attempt == 0, expectNew)
		if err != nil {
			return err
		}
		c, err := decide(cur)
		if err != nil && guessed {
			continue // only a read item may refuse the write
		}
		if err != nil {
			return err
		}
		err = s.apply(ctx, tenant, kind, id, cur, c)
		if !errors.Is(err, errRetry) {
			return err
		}
		if guessed {
			continue // the guess was stale, not a concurrent writer: no pause
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
	return fmt.Errorf("update %s/%s: %w (too many concurrent writers)", kind, id, ErrConflict)
}

// current is the entity item a transition decides from (nil when absent),
// and whether it was guessed rather than read.
func (s *Store) current(ctx context.Context, tenant, sk string, first, expectNew bool) (*entityItem, bool, error) {
	if first {
		if it, ok := s.recent.take(tenant, sk, s.now()); ok {
			return &it, true, nil
		}
		if expectNew {
			return nil, true, nil
		}
	} else {
		s.recent.forget(tenant, sk)
	}
	var it entityItem
	switch err := s.get(ctx, tenantPK(tenant), sk, &it); {
	case errors.Is(err, ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return &it, false, nil
}

// errRetry: the entity changed between read and write, or the write met
// another transaction; read again.
var errRetry = errors.New("retry")

func pause(ctx context.Context, attempt int) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(attempt*attempt+1) * 5 * time.Millisecond):
		return nil
	}
}

func (s *Store) apply(ctx context.Context, tenant string, kind billing.Kind, id string, cur *entityItem, c change) error {
	now := s.now().UTC()
	since := now
	if cur != nil && c.status.Unsynced() && cur.Status.Unsynced() && !cur.Since.IsZero() {
		since = cur.Since // still unsynced: the clock keeps running
	}
	c.setValue("#status = :st", ":st", str(string(c.status)))
	c.setValue("gsi1pk = :gpk", ":gpk", str(statusPK(tenant, c.status)))
	c.setValue("gsi1sk = :gsk", ":gsk", str(statusSK(kind, id, since)))
	c.setValue("since = :since", ":since", mustTime(since))
	var rev int64
	if cur != nil {
		rev = cur.Rev
	}
	c.setValue("rev = :rev", ":rev", num(rev+1))
	names := map[string]string{"#status": "status"}
	for k, v := range c.names {
		names[k] = v
	}
	expr := setRemove(c.set, c.remove)
	upd := &types.Update{TableName: &s.table, Key: key(tenantPK(tenant), entitySK(kind, id)),
		UpdateExpression: &expr, ExpressionAttributeNames: names, ExpressionAttributeValues: c.values}
	if cur == nil {
		upd.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		cond := "version = :cur_v AND #status = :cur_st AND attribute_not_exists(rev)"
		if cur.Rev != 0 {
			cond = "version = :cur_v AND #status = :cur_st AND rev = :cur_rev"
			c.values[":cur_rev"] = num(cur.Rev)
		}
		upd.ConditionExpression = aws.String(cond)
		c.values[":cur_v"], c.values[":cur_st"] = num(cur.Version), str(string(cur.Status))
	}
	items := append([]types.TransactWriteItem{{Update: upd}}, c.extra...)
	if cur == nil || cur.Status != c.status || cur.noticed() != c.noticed() {
		items = append(items, counterMove(s.table, tenant, kind, id, cur, c))
	}
	if len(items) == 1 {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: upd.TableName, Key: upd.Key,
			UpdateExpression: upd.UpdateExpression, ConditionExpression: upd.ConditionExpression,
			ExpressionAttributeNames: names, ExpressionAttributeValues: c.values})
		if errors.Is(conflict(err), ErrConflict) {
			return errRetry
		}
		return err
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return transactError(err)
}

func (c change) noticed() bool { return c.status == StatusSynced && c.notice }

func (it *entityItem) noticed() bool {
	return it != nil && it.Status == StatusSynced && it.Warning != nil && it.Warning.Notice
}

// counterMove moves the entity's count from cur's status to c's, and its
// notice count when that changes.
func counterMove(table, tenant string, kind billing.Kind, id string, cur *entityItem, c change) types.TransactWriteItem {
	var adds []string
	names := map[string]string{}
	vals := map[string]types.AttributeValue{}
	add := func(name string, st Status, by int64) {
		v := ":one"
		if by < 0 {
			v = ":minus"
		}
		adds = append(adds, name+" "+v)
		names[name], vals[v] = string(st), num(by)
	}
	if cur == nil || cur.Status != c.status {
		add("#to", c.status, 1)
		if cur != nil {
			add("#from", cur.Status, -1)
		}
	}
	switch was, is := cur.noticed(), c.noticed(); {
	case is && !was:
		add("#notice", noticeCounter, 1)
	case was && !is:
		add("#notice", noticeCounter, -1)
	}
	expr := "ADD " + strings.Join(adds, ", ")
	return types.TransactWriteItem{Update: &types.Update{TableName: &table,
		Key: key(tenantPK(tenant), counterSK(kind, shardOf(id))), UpdateExpression: &expr,
		ExpressionAttributeNames: names, ExpressionAttributeValues: vals}}
}

// transactError turns a cancelled transaction into errRetry when a
// condition failed or another transaction held an item.
func transactError(err error) error {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for _, r := range tc.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed", "TransactionConflict":
				return errRetry
			}
		}
		return fmt.Errorf("transaction cancelled: %w", err)
	}
	var tcf *types.TransactionConflictException
	if errors.As(err, &tcf) {
		return errRetry
	}
	return err
}

// statusSK orders the status index: kinds top-down (customers first), then
// by the time the entity entered its state, oldest first. The time makes
// "oldest unsynced" one Query with Limit 1.
func statusSK(kind billing.Kind, id string, since time.Time) string {
	return kindPrefix(kind) + sortTime(since) + "#" + id
}

// kindPrefix is the status-index prefix of one kind.
func kindPrefix(kind billing.Kind) string {
	return strconv.Itoa(kindRank(kind)) + "#" + string(kind) + "#"
}

// kindRanks are stored in status-index keys, so a kind added later takes
// the next free rank rather than its place in billing.Kinds, and the keys
// already written stay valid.
var kindRanks = map[billing.Kind]int{
	billing.KindCustomer: 0, billing.KindProduct: 1, billing.KindInvoice: 2, billing.KindPayment: 3,
	billing.KindCredit: 4, billing.KindChargeReversal: 5, billing.KindWriteOff: 6, billing.KindRefund: 7,
	billing.KindSale: 8,
}

func kindRank(kind billing.Kind) int {
	if r, ok := kindRanks[kind]; ok {
		return r
	}
	return 9
}

// sortTime is a fixed-width UTC time that sorts as text.
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
