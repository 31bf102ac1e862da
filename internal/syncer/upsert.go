package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/qbobatch"
	"github.com/qbosync/qbosync/internal/record"
)

// target describes how one kind's QBO object is written.
type target[T qbo.Entity] struct {
	// key names the link; zero means the run's entity. Entities that need
	// a second QBO object (a credit's application payment) give it its own
	// key, so it is created exactly once too.
	key billing.Ref
	// payload is the mapped object without Id and SyncToken.
	payload T
	// find looks the object up by its natural key (marker, DocNumber,
	// DisplayName) after a create whose answer was lost.
	find func(ctx context.Context) (T, bool, error)
	// create may replace qbo.Create (customers resolve duplicate names).
	create func(ctx context.Context, v T, requestID string) (T, error)
	// afterCreate inspects what QBO created; it returns true when QBO
	// changed the object on its own (company automation), so the payload
	// must be written over it at once.
	afterCreate func(ctx context.Context, created T) (rewrite bool, err error)
	// first, when set, is what the object is created as; payload is
	// written over it at once. An invoice is created empty first when
	// QuickBooks' automation would apply the customer's credit to it.
	first func() T
}

// upsert converges the QBO object of the run's entity to t.payload with at
// most one create ever: an intent with a fixed requestid is stored before
// the create, and an intent found from an earlier attempt is resolved by a
// natural-key lookup before anything is created again.
func upsert[T qbo.Entity](ctx context.Context, r *run, t target[T]) (record.Link, error) {
	if t.key.ID == "" {
		t.key = billing.Ref{Kind: r.st.Kind, ID: r.st.ID}
	}
	link, err := r.linkOf(ctx, t.key)
	if err != nil {
		return link, err
	}
	if link.Voided {
		// A voided object stays voided in QBO; a document live again in
		// billing (or a credit applied again) gets a new one.
		link = record.Link{Tenant: link.Tenant, Kind: link.Kind, ID: link.ID, RealmID: r.conn.RealmID, Rev: link.Rev}
	}
	hash, err := payloadHash(t.payload)
	if err != nil {
		return link, err
	}
	if !link.Linked() {
		if link, err = createOnce(ctx, r, link, t, hash); err != nil {
			return link, err
		}
		if link, err = settle(ctx, r, link, t); err != nil || link.SentHash == hash {
			return link, err
		}
	} else if link, err = settle(ctx, r, link, t); err != nil {
		return link, err
	}
	if link.SentHash == hash {
		return r.markVersion(ctx, link)
	}
	return updateLinked(ctx, r, link, t, hash)
}

// staleRetries bounds the re-reads after a stale SyncToken (5010) in one
// attempt; beyond it the message is retried later.
const staleRetries = 3

// intentHashKey records, on a create intent, the hash of the payload its
// requestid was first sent with.
const intentHashKey = "intent_hash"

// settleKey marks, on a link, a new QBO object whose afterCreate check has
// not run yet; it runs on the next attempt if this one fails.
const settleKey = "settle"

// createOnce links the entity to a QBO object, creating it at most once.
// The returned link has SentHash == hash when the object now holds payload.
func createOnce[T qbo.Entity](ctx context.Context, r *run, link record.Link, t target[T], hash string) (record.Link, error) {
	resume := link.State == record.LinkCreating && link.RequestID != ""
	// relatch: the tenant's links were forgotten, so an entity without any
	// link may already have its object in QBO; look before creating.
	relatch := r.conn.Relatch && link.Rev == 0
	if resume || relatch {
		found, ok, err := t.find(ctx)
		if err != nil {
			return link, fmt.Errorf("look for an earlier create: %w", err)
		}
		if ok {
			id, token := found.Identity()
			link.State, link.QBOID, link.SyncToken, link.SentHash = record.LinkLinked, id, token, ""
			delete(link.Extra, intentHashKey)
			markSettle(&link, t)
			link, err = r.putLink(ctx, link)
			return link, err
		}
	}
	sent, sentHash, err := createPayload(link, t, hash, resume)
	if err != nil {
		return link, err
	}
	if !resume {
		link.State, link.RealmID, link.IntentAt = record.LinkCreating, r.conn.RealmID, r.e.cfg.Now().UTC()
		if link.Extra == nil {
			link.Extra = map[string]string{}
		}
		link.Extra[intentHashKey] = sentHash
		link.RequestID = requestID(r.st.Tenant, string(t.key.Kind), t.key.ID, fmt.Sprint(r.st.Version), "create", fmt.Sprint(link.Rev))
		var err error
		if link, err = r.putLink(ctx, link); err != nil {
			return link, err
		}
	}
	if resume {
		// Every sender of a create first wins a write of the intent: the
		// sync that stored it may still be deciding that its own send was
		// kept back, and clearing the requestid then must fail rather
		// than leave a request this sync sent looking unsent.
		var err error
		if link, err = r.putLink(ctx, link); err != nil {
			return link, err
		}
		// The earlier create's answer may be lost: it must reach QuickBooks
		// as that very request again (its batch, or alone with its
		// requestid), never inside a new batch.
		ctx = qbobatch.Retrying(ctx)
	}
	create := t.create
	if create == nil {
		create = func(ctx context.Context, v T, id string) (T, error) {
			return qbo.Create(ctx, r.qbo, r.conn.RealmID, v, id)
		}
	}
	created, err := create(ctx, sent, link.RequestID)
	var qe *qbo.Error
	if errors.As(err, &qe) && qe.PeriodClosed() {
		// Moved into the open period, the payload is created whole: a
		// write over an empty first object would be refused there.
		sent, sentHash = t.payload, hash
		created, err = createInOpenPeriod(ctx, r, sent, link.RequestID, create)
	}
	if err != nil {
		if refusedOrUnsent(err, resume) {
			link.RequestID = ""
			if _, perr := r.putLink(ctx, link); perr != nil {
				return link, perr
			}
		}
		return link, err
	}
	id, token := created.Identity()
	link.State, link.QBOID, link.SyncToken, link.SentHash = record.LinkLinked, id, token, hash
	if resume && link.Extra[intentHashKey] != hash || sentHash != hash {
		// The intent is an earlier attempt's with another payload (an
		// older version): QuickBooks may have answered its requestid with
		// that attempt's object, so write this payload over it. So too
		// over an object created as t.first.
		link.SentHash = ""
	}
	delete(link.Extra, intentHashKey)
	link.SyncedVersion = r.st.Version
	// Settled before the link is saved, to save a write: a crash in
	// between leaves the intent, whose next attempt finds the object by
	// its natural key and settles it then.
	if t.afterCreate != nil {
		rewrite, aerr := t.afterCreate(ctx, created)
		if aerr != nil {
			markSettle(&link, t)
			if link, err = r.putLink(ctx, link); err != nil {
				return link, err
			}
			return link, aerr
		}
		if rewrite {
			link.SentHash = "" // upsert goes on to write the payload over QBO's changes
		}
	}
	if sentHash != hash {
		// Not saved: upsert writes the payload at once and saves the link
		// then. Until it does, the intent stands, so nothing applies money
		// to the object as created, and a failed write is resumed by the
		// natural-key lookup.
		return link, nil
	}
	link, err = r.putLink(ctx, link)
	return link, err
}

// createPayload is what a create sends and its hash: t.first when the
// target has one (on a resumed intent, only if the earlier attempt sent
// it), else the payload.
func createPayload[T qbo.Entity](link record.Link, t target[T], hash string, resume bool) (T, string, error) {
	if t.first == nil {
		return t.payload, hash, nil
	}
	first := t.first()
	firstHash, err := payloadHash(first)
	if err != nil {
		return first, "", err
	}
	if resume && link.Extra[intentHashKey] != firstHash {
		return t.payload, hash, nil
	}
	return first, firstHash, nil
}

func markSettle[T qbo.Entity](l *record.Link, t target[T]) {
	if t.afterCreate == nil {
		return
	}
	if l.Extra == nil {
		l.Extra = map[string]string{}
	}
	l.Extra[settleKey] = "1"
}

// settle runs afterCreate on an object whose check did not run when it
// was created (found after a lost answer, or the check failed) and clears
// the mark. When QBO changed the object on its own, SentHash is cleared so
// the payload is written over it.
func settle[T qbo.Entity](ctx context.Context, r *run, link record.Link, t target[T]) (record.Link, error) {
	if link.Extra[settleKey] == "" || t.afterCreate == nil {
		return link, nil
	}
	cur, err := qbo.Read[T](ctx, r.qbo, r.conn.RealmID, link.QBOID)
	if err != nil {
		return link, err
	}
	rewrite, err := t.afterCreate(ctx, cur)
	if err != nil {
		return link, err
	}
	delete(link.Extra, settleKey)
	if rewrite {
		link.SentHash = ""
	}
	return r.putLink(ctx, link)
}

// updateLinked writes payload over the linked object, re-reading it once
// when QBO reports a stale SyncToken (someone edited it in QuickBooks).
func updateLinked[T qbo.Entity](ctx context.Context, r *run, link record.Link, t target[T], hash string) (record.Link, error) {
	reqID := requestID(r.st.Tenant, string(t.key.Kind), t.key.ID, fmt.Sprint(r.st.Version), "update", fmt.Sprint(link.Rev))
	v, err := qbo.WithIdentity(t.payload, link.QBOID, link.SyncToken, true)
	if err != nil {
		return link, err
	}
	updated, err := qbo.Update(ctx, r.qbo, r.conn.RealmID, v, reqID)
	var qe *qbo.Error
	// Payments applied to a document change its SyncToken too, so a busy
	// document may be stale more than once.
	for attempt := 1; attempt <= staleRetries && errors.As(err, &qe) && qe.Stale(); attempt++ {
		cur, rerr := qbo.Read[T](ctx, r.qbo, r.conn.RealmID, link.QBOID)
		if rerr != nil {
			return link, rerr
		}
		_, token := cur.Identity()
		if v, err = qbo.WithIdentity(t.payload, link.QBOID, token, true); err != nil {
			return link, err
		}
		updated, err = qbo.Update(ctx, r.qbo, r.conn.RealmID, v, reqID+strings.Repeat("r", attempt))
	}
	if err != nil {
		if serr := saveAfterRefusal(ctx, r, link, err); serr != nil {
			return link, serr
		}
	}
	if errors.As(err, &qe) && qe.PeriodClosed() {
		return link, &PermanentError{Reason: fmt.Sprintf("QuickBooks refused the change: the document is dated inside the closed period (%s). "+
			"The change is not forced into closed books; book an adjustment in the open period or reopen it, then resend.", qe.Detail)}
	}
	if err != nil {
		return link, err
	}
	_, link.SyncToken = updated.Identity()
	link.SentHash, link.SyncedVersion = hash, r.st.Version
	saved, err := r.putLink(ctx, link)
	if errors.Is(err, record.ErrConflict) {
		return saved, forgetSent(ctx, r, t.key, link.QBOID, link.SyncToken, err)
	}
	return saved, err
}

// forgetSent is called when the link save after a write QuickBooks
// accepted lost to another worker's. QuickBooks holds this attempt's
// payload, built from the link it read, while the winner's SentHash
// describes its own write: the link is saved with no SentHash (and the
// object's token after this write), so the next attempt writes billing's
// payload again instead of believing it is there. It returns lost, for
// the attempt to be retried.
func forgetSent(ctx context.Context, r *run, key billing.Ref, qboID, token string, lost error) error {
	for range staleRetries {
		l, err := r.linkOf(ctx, key)
		if err != nil {
			return err
		}
		if !l.Linked() || l.QBOID != qboID {
			return lost // relinked meanwhile: nothing of this write to forget
		}
		l.SentHash, l.SyncToken = "", token
		if _, err = r.putLink(ctx, l); !errors.Is(err, record.ErrConflict) {
			if err != nil {
				return err
			}
			return lost
		}
	}
	return lost
}

// saveAfterRefusal is called when QuickBooks refused an update or void
// with err. Intuit answers a requestid it has seen with its first answer,
// so the refused request must never be sent again: the link is saved,
// moving its revision and with it the next attempt's requestid. When
// another worker rewrote the link since this attempt read it, that save
// loses: the payload was built from what changed (a refund's journal entry
// released and deleted), the refusal is not billing's to fix, and the
// conflict returned instead has the next attempt build it again. It
// returns nil when err stands as it is.
func saveAfterRefusal(ctx context.Context, r *run, link record.Link, err error) error {
	var qe *qbo.Error
	if !errors.As(err, &qe) || (qe.Class() != qbo.ClassValidation && qe.Class() != qbo.ClassStale) {
		return nil
	}
	_, perr := r.putLink(ctx, link)
	if errors.Is(perr, record.ErrConflict) {
		return fmt.Errorf("%w: the link changed while the write was refused (%v)", record.ErrConflict, err)
	}
	if perr != nil {
		return fmt.Errorf("after a refusal (%v): %w", err, perr)
	}
	return nil
}

// link loads the entity's link, or a new one.
func (r *run) link(ctx context.Context) (record.Link, error) {
	return r.linkOf(ctx, billing.Ref{Kind: r.st.Kind, ID: r.st.ID})
}

// linkOf loads the link named key, or a new one.
func (r *run) linkOf(ctx context.Context, key billing.Ref) (record.Link, error) {
	l, err := r.e.cfg.Store.Link(ctx, r.st.Tenant, key.Kind, key.ID)
	if err == nil || errors.Is(err, record.ErrNotFound) {
		r.observe(key, l)
	}
	if errors.Is(err, record.ErrNotFound) {
		return record.Link{Tenant: r.st.Tenant, Kind: key.Kind, ID: key.ID, RealmID: r.conn.RealmID}, nil
	}
	if err == nil && l.RealmID != r.conn.RealmID {
		// Linked in another company: start over there, keeping the
		// revision for the conditional write.
		return record.Link{Tenant: r.st.Tenant, Kind: key.Kind, ID: key.ID, RealmID: r.conn.RealmID, Rev: l.Rev}, nil
	}
	return l, err
}

// putLink saves a link; losing the conditional write means another worker
// handled the same entity concurrently, so this attempt is retried.
func (r *run) putLink(ctx context.Context, l record.Link) (record.Link, error) {
	saved, err := r.e.cfg.Store.PutLink(ctx, l)
	if err != nil {
		return l, fmt.Errorf("save link: %w", err)
	}
	r.observe(billing.Ref{Kind: l.Kind, ID: l.ID}, saved)
	return saved, nil
}

// observe keeps the entity's own link as the store last answered it in
// this run (none when linked in another company): the sync's wake-up
// decides from it (Engine.wake).
func (r *run) observe(key billing.Ref, l record.Link) {
	if key.Kind != r.st.Kind || key.ID != r.st.ID {
		return
	}
	if l.RealmID != r.conn.RealmID {
		l = record.Link{}
	}
	r.own = l
}

// markVersion records that the current version needed no write.
func (r *run) markVersion(ctx context.Context, l record.Link) (record.Link, error) {
	if l.SyncedVersion >= r.st.Version {
		return l, nil
	}
	l.SyncedVersion = r.st.Version
	return r.putLink(ctx, l)
}

// requestID is QBO's idempotency key: the first 32 hex digits of
// SHA-256 over the parts, so every retry of one write sends the same id.
func requestID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{'|'})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func payloadHash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode payload: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
