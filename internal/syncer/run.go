package syncer

import (
	"context"
	"errors"
	"fmt"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/record"
)

// run is one sync attempt of one entity.
type run struct {
	e      *Engine
	st     record.EntityState
	tenant record.Tenant
	conn   record.Connection
	qbo    QBO
	// parents holds the links of the entity's references, once linked.
	parents map[billing.Ref]record.Link
	// flag is a note for admins on an entity that synced, but not as sent
	// (posted in the open period instead of closed books).
	flag string
	// depth is how many runs this one is nested in (syncNow); 0 for a
	// run of a delivered message.
	depth int
	// own is the entity's link as the store last answered a read or write
	// of it in this run; zero before any.
	own record.Link
}

func (e *Engine) newRun(ctx context.Context, st record.EntityState) (*run, error) {
	t, err := e.cfg.Store.Tenant(ctx, st.Tenant)
	if err != nil {
		return nil, fmt.Errorf("load tenant %s: %w", st.Tenant, err)
	}
	conn, err := e.cfg.Tokens.Token(ctx, st.Tenant, false)
	if errors.Is(err, record.ErrNotConnected) || errors.Is(err, record.ErrReconnect) {
		return nil, err // parked by classify
	}
	if err != nil {
		return nil, &unavailableError{what: "the QuickBooks access token could not be refreshed", err: err}
	}
	// A resting company is not checked here: the HTTP client's
	// admission refuses its first call, and the sync waits then.
	return &run{e: e, st: st, tenant: t, conn: conn, qbo: e.client(conn),
		parents: map[billing.Ref]record.Link{}}, nil
}

// sync decodes the snapshot, waits for parents and hands the entity to its
// kind's syncer, refreshing the access token once if QBO answers 401.
func (r *run) sync(ctx context.Context) (outcome, error) {
	ent, err := billing.Decode(r.st.Kind, r.st.Data)
	if err != nil {
		return outcome{}, &PermanentError{Reason: fmt.Sprintf("stored snapshot cannot be read: %v", err)}
	}
	if reason, err := r.skipReason(ctx, ent); err != nil || reason != "" {
		return outcome{update: record.StatusUpdate{Status: record.StatusSkipped, Warning: &record.Warning{Message: reason}}}, err
	}
	if manual, err := r.awaitsConnection(ctx); err != nil || manual {
		return outcome{update: record.StatusUpdate{Status: record.StatusNotConnected, Warning: &record.Warning{
			Message: "Customers are connected by an admin in this account: connect it to a QuickBooks customer (or create one) to start syncing it."}}}, err
	}
	if isVoid(r.st, ent) {
		// A void needs no parent (what never reached QBO has nothing to
		// void; its customer may not even exist yet) and must not wait:
		// a dependency edge would have the parent's sync wake the void
		// again, and a void that converges its parent inline (a refund's
		// payment) would loop with it.
		if err := r.linkedParents(ctx, ent); err != nil {
			return outcome{}, err
		}
	} else {
		if err := r.checkParentCycle(ctx, ent); err != nil {
			return outcome{}, err
		}
		if wait, err := r.waitFor(ctx, ent); err != nil || wait != "" {
			return outcome{update: record.StatusUpdate{Status: record.StatusWaiting, WaitingOn: wait}}, err
		}
		if err := r.checkCurrency(ctx, ent); err != nil {
			return outcome{}, err
		}
	}
	link, err := r.write(ctx, ent)
	// Each remedy is tried at most once per attempt.
	tried := map[remedy]bool{}
	for rem := remedyFor(err); rem != noRemedy && !tried[rem]; rem = remedyFor(err) {
		tried[rem] = true
		if rerr := r.apply(ctx, rem, ent); rerr != nil {
			return outcome{}, rerr
		}
		link, err = r.write(ctx, ent)
	}
	var we *waitError
	if errors.As(err, &we) {
		return outcome{update: record.StatusUpdate{Status: record.StatusWaiting, WaitingOn: we.on.String()}}, nil
	}
	if err != nil {
		return outcome{}, err
	}
	out := outcome{update: record.StatusUpdate{Status: record.StatusSynced}, qboID: link.QBOID, link: r.own}
	if r.flag != "" {
		out.update.Warning = &record.Warning{Message: r.flag, Notice: true}
	}
	return out, nil
}

// apply carries out a remedy before the write is tried again.
func (r *run) apply(ctx context.Context, rem remedy, ent billing.Entity) error {
	switch rem {
	case refreshToken:
		conn, err := r.e.cfg.Tokens.Token(ctx, r.st.Tenant, true)
		if err != nil {
			return &unavailableError{what: "the QuickBooks access token could not be refreshed", err: err}
		}
		r.conn, r.qbo = conn, r.e.client(conn)
	case releaseApplications:
		return r.releaseAutomaticApplications(ctx, ent)
	}
	return nil
}

// checkCurrency refuses a transaction whose currency is not its
// customer's: QBO keeps one currency per customer.
func (r *run) checkCurrency(ctx context.Context, ent billing.Entity) error {
	cur, cust := ent.EntityCurrency(), ent.CustomerRef()
	if cur == "" || r.st.Kind == billing.KindCustomer || cust == "" {
		return nil
	}
	st, err := r.e.cfg.Store.Entity(ctx, r.st.Tenant, billing.KindCustomer, cust)
	if err != nil {
		return fmt.Errorf("load customer %s: %w", cust, err)
	}
	c, err := billing.Decode(billing.KindCustomer, st.Data)
	if err != nil {
		return &PermanentError{Reason: "the customer's stored snapshot cannot be read: " + err.Error()}
	}
	if want := c.EntityCurrency(); want != cur {
		return &PermanentError{Reason: fmt.Sprintf("Currency mismatch: this %s is in %s but customer %s is billed in %s; "+
			"QuickBooks keeps one currency per customer. Correct the currency in billing, then resend.", r.st.Kind, cur, cust, want)}
	}
	return nil
}

// write makes sure the tenant's defaults exist in QBO, then writes ent.
func (r *run) write(ctx context.Context, ent billing.Entity) (record.Link, error) {
	if err := r.ensureDefaults(ctx); err != nil {
		return record.Link{}, err
	}
	link, err := r.syncKind(ctx, ent)
	return link, r.explain(ctx, ent, err)
}

// waitFor returns the first reference that has not linked yet, as
// "kind/id", after recording the entity as its dependent. The edge is
// written, and counted on the parent's link, before the link is read
// again (the count's write answers with it), so a parent linking
// meanwhile either counts the edge or is seen linked: no wake-up is lost.
func (r *run) waitFor(ctx context.Context, ent billing.Entity) (string, error) {
	for _, ref := range ent.Refs() {
		l, err := r.parentLink(ctx, ref)
		if err != nil {
			return "", err
		}
		if l.Linked() {
			r.parents[ref] = l
			continue
		}
		if l, err = r.addDependent(ctx, ref); err != nil {
			return "", err
		}
		if !l.Linked() {
			return ref.String(), nil
		}
		r.parents[ref] = l
	}
	return "", nil
}

// linkedParents reads the links of ent's parents that are in QBO.
func (r *run) linkedParents(ctx context.Context, ent billing.Entity) error {
	for _, ref := range ent.Refs() {
		l, err := r.parentLink(ctx, ref)
		if err != nil {
			return err
		}
		if l.Linked() {
			r.parents[ref] = l
		}
	}
	return nil
}

func (r *run) parentLink(ctx context.Context, ref billing.Ref) (record.Link, error) {
	l, err := r.e.cfg.Store.Link(ctx, r.st.Tenant, ref.Kind, ref.ID)
	return r.inRealm(l, err)
}

// addDependent records the entity as a dependent of ref and returns ref's
// link as the record left it.
func (r *run) addDependent(ctx context.Context, ref billing.Ref) (record.Link, error) {
	child := record.Dependent{Kind: r.st.Kind, ID: r.st.ID, CustomerID: r.st.CustomerID}
	return r.inRealm(r.e.cfg.Store.AddDependent(ctx, r.st.Tenant, ref, child))
}

// inRealm is a parent's link as this run sees it: none when it has none,
// or is linked in another company.
func (r *run) inRealm(l record.Link, err error) (record.Link, error) {
	if errors.Is(err, record.ErrNotFound) {
		return record.Link{}, nil
	}
	if err == nil && l.RealmID != r.conn.RealmID {
		return record.Link{}, nil // linked in another company: not a parent here
	}
	return l, err
}

// qboID returns the QBO id of a linked parent.
func (r *run) qboID(kind billing.Kind, id string) string {
	return r.parents[billing.Ref{Kind: kind, ID: id}].QBOID
}

// isVoid reports a snapshot that voids its document.
func isVoid(st record.EntityState, ent billing.Entity) bool {
	if v, ok := ent.(*billing.Invoice); ok {
		return v.Status == billing.InvoiceVoided
	}
	return st.Action == billing.ActionVoided
}
