package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/qbosync/qbosync/internal/record"
)

// batchGetMax is BatchGetItem's limit of keys per request.
const batchGetMax = 100

// Prefetch reads the items r names in one consistent BatchGetItem and
// returns a context carrying them (ctx itself when it carries some
// already: they are added). Each item (or its absence) answers the
// first read of it made with that context; any write made with it drops
// them all, so no read ever sees a copy older than the context's own
// writes. Later reads go to the table. A failed prefetch carries nothing:
// the reads then go to the table and meet the failure themselves.
func (s *Store) Prefetch(ctx context.Context, tenant string, r record.Reads) context.Context {
	keys := prefetchKeys(tenant, r)
	if len(keys) == 0 || len(keys) > batchGetMax {
		return ctx
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return ctx
	}
	if p, _ := ctx.Value(prefetchedKey{}).(*prefetched); p != nil {
		p.add(keys, items)
		return ctx
	}
	p := &prefetched{items: map[itemKey]map[string]types.AttributeValue{}}
	p.add(keys, items)
	return context.WithValue(ctx, prefetchedKey{}, p)
}

type itemKey struct{ pk, sk string }

func prefetchKeys(tenant string, r record.Reads) []itemKey {
	pk := tenantPK(tenant)
	seen := map[itemKey]bool{}
	var keys []itemKey
	add := func(sk string) {
		k := itemKey{pk, sk}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if r.Tenant {
		add("TENANT")
	}
	if r.Connection {
		add("QBO")
	}
	for _, l := range r.Links {
		add(linkSK(l.Kind, l.ID))
	}
	for _, e := range r.Entities {
		add(entitySK(e.Kind, e.ID))
	}
	for _, id := range r.CustomerConnections {
		add(customerConnSK(id))
	}
	for _, id := range r.Events {
		add(eventSK(id))
	}
	return keys
}

// batchGet reads keys, asking again for what DynamoDB left unprocessed.
func (s *Store) batchGet(ctx context.Context, keys []itemKey) (map[itemKey]map[string]types.AttributeValue, error) {
	req := types.KeysAndAttributes{ConsistentRead: aws.Bool(true)}
	for _, k := range keys {
		req.Keys = append(req.Keys, key(k.pk, k.sk))
	}
	in := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{s.table: req}}
	out := map[itemKey]map[string]types.AttributeValue{}
	for len(in.RequestItems) > 0 {
		res, err := s.db.BatchGetItem(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("prefetch %d items: %w", len(keys), err)
		}
		for _, it := range res.Responses[s.table] {
			out[itemKey{strOf(it["pk"]), strOf(it["sk"])}] = it
		}
		in.RequestItems = res.UnprocessedKeys
	}
	return out, nil
}

type prefetchedKey struct{}

// prefetched holds the items of one Prefetch until they are read once.
type prefetched struct {
	mu    sync.Mutex
	items map[itemKey]map[string]types.AttributeValue
}

func (p *prefetched) add(keys []itemKey, items map[itemKey]map[string]types.AttributeValue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		p.items[k] = items[k] // nil: absent
	}
}

// takePrefetched returns the prefetched item of pk/sk (nil when it was
// absent) and forgets it; ok is false when ctx carries none.
func takePrefetched(ctx context.Context, pk, sk string) (item map[string]types.AttributeValue, ok bool) {
	p, _ := ctx.Value(prefetchedKey{}).(*prefetched)
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := itemKey{pk, sk}
	item, ok = p.items[k]
	delete(p.items, k)
	return item, ok
}

// dropPrefetched forgets everything ctx carries: a write made with it.
func dropPrefetched(ctx context.Context) {
	if p, _ := ctx.Value(prefetchedKey{}).(*prefetched); p != nil {
		p.mu.Lock()
		clear(p.items)
		p.mu.Unlock()
	}
}

// writeDropsPrefetched is the table as the store sees it: every write
// first drops what its context prefetched.
type writeDropsPrefetched struct{ DB }

func (d writeDropsPrefetched) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	dropPrefetched(ctx)
	return d.DB.PutItem(ctx, in, opts...)
}

func (d writeDropsPrefetched) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	dropPrefetched(ctx)
	return d.DB.UpdateItem(ctx, in, opts...)
}

func (d writeDropsPrefetched) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	dropPrefetched(ctx)
	return d.DB.DeleteItem(ctx, in, opts...)
}

func (d writeDropsPrefetched) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	dropPrefetched(ctx)
	return d.DB.TransactWriteItems(ctx, in, opts...)
}
