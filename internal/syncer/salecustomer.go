package syncer

import (
	"context"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// saleCustomer returns the QBO id of the customer a sale is booked to: the
// one linked to its billing customer, else (for a sale that names its
// customer inline) the QBO customer carrying the billing marker, else the
// one with the same e-mail that no other billing customer claims, else a
// new one. The link it records is the billing customer's own, so a later
// customer event updates that same QBO customer.
func (r *run) saleCustomer(ctx context.Context, s *billing.Sale) (string, error) {
	key := billing.Ref{Kind: billing.KindCustomer, ID: s.CustomerID}
	if id := r.qboID(key.Kind, key.ID); id != "" {
		return id, nil
	}
	l, err := r.linkOf(ctx, key)
	if err != nil || l.Linked() {
		return l.QBOID, err
	}
	if s.Customer == nil {
		return "", fmt.Errorf("sale %s: customer %s is not linked", s.ID, s.CustomerID)
	}
	if l.State != record.LinkCreating || l.RequestID == "" {
		found, ok, err := r.findSaleCustomer(ctx, s)
		if err != nil {
			return "", err
		}
		if ok {
			l.State, l.RealmID, l.SentHash = record.LinkLinked, r.conn.RealmID, ""
			l.QBOID, l.SyncToken = found.Identity()
			if l, err = r.putLink(ctx, l); err != nil {
				return "", err
			}
			return l.QBOID, r.wakeCustomer(ctx, key)
		}
	}
	c := &billing.Customer{ID: s.CustomerID, DisplayName: s.Customer.DisplayName, Email: s.Customer.Email, Currency: s.Currency}
	l, err = upsert(ctx, r, target[qbo.Customer]{key: key, payload: mapCustomer(r.st.Tenant, c, ""),
		find: func(ctx context.Context) (qbo.Customer, bool, error) { return r.findSaleCustomer(ctx, s) },
		create: func(ctx context.Context, v qbo.Customer, reqID string) (qbo.Customer, error) {
			created, _, err := r.createCustomer(ctx, c, v, reqID)
			return created, err
		}})
	if err != nil {
		return "", err
	}
	return l.QBOID, r.wakeCustomer(ctx, key)
}

// wakeCustomer requeues what waited for a customer the sale linked.
func (r *run) wakeCustomer(ctx context.Context, key billing.Ref) error {
	return r.e.wake(ctx, record.EntityState{Snapshot: record.Snapshot{Tenant: r.st.Tenant, Kind: key.Kind, ID: key.ID}}, record.Link{})
}

// findSaleCustomer looks for the QBO customer of a sale's inline customer:
// by marker under its name, then by e-mail among the active customers. A
// customer marked for another billing customer is never taken, so two
// billing customers are never merged; two unclaimed customers with the
// e-mail are ambiguous and left to an admin.
func (r *run) findSaleCustomer(ctx context.Context, s *billing.Sale) (qbo.Customer, bool, error) {
	own := mark{tenant: r.st.Tenant, kind: billing.KindCustomer, id: s.CustomerID}
	named := &billing.Customer{ID: s.CustomerID, DisplayName: s.Customer.DisplayName}
	for _, name := range []string{qboName(named.DisplayName), disambiguated(named)} {
		stmt := "select * from Customer where " + qbo.NameIn("DisplayName", name) + " and Active in (true, false)"
		found, err := qbo.Query[qbo.Customer](ctx, r.qbo, r.conn.RealmID, stmt)
		if err != nil {
			return qbo.Customer{}, false, err
		}
		for _, f := range found {
			if carries(f.Notes, own) {
				return f, true, nil
			}
		}
	}
	// QuickBooks documents no e-mail filter on customer queries, so the
	// active customers are read page by page; this runs once per billing
	// customer, before its link exists.
	all, err := qbo.QueryAll[qbo.Customer](ctx, r.qbo, r.conn.RealmID, "select * from Customer where Active = true")
	if err != nil {
		return qbo.Customer{}, false, err
	}
	return pickByEmail(all, s.Customer.Email, own)
}

// pickByEmail chooses among QBO customers: the one with mark, else the one
// unclaimed customer with email.
func pickByEmail(all []qbo.Customer, email string, own mark) (qbo.Customer, bool, error) {
	var match []qbo.Customer
	for _, f := range all {
		switch {
		case carries(f.Notes, own):
			return f, true, nil
		case foreign(f.Notes, own):
			continue // another billing customer's, or another tenant's
		case f.PrimaryEmailAddr != nil && strings.EqualFold(strings.TrimSpace(f.PrimaryEmailAddr.Address), email):
			match = append(match, f)
		}
	}
	switch len(match) {
	case 0:
		return qbo.Customer{}, false, nil
	case 1:
		return match[0], true, nil
	}
	ids := make([]string, len(match))
	for i, m := range match {
		ids[i] = m.ID
	}
	return qbo.Customer{}, false, &PermanentError{Reason: fmt.Sprintf(
		"%d QuickBooks customers have the e-mail %s (ids %s) and none is linked to billing; "+
			"connect the billing customer to one of them (Connect customer), then resend the sale.",
		len(match), email, strings.Join(ids, ", "))}
}
