package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/qbo"
	"github.com/qbosync/qbosync/internal/record"
)

// mapCustomer maps a billing customer to a QBO Customer. parentID is the
// QBO id of its parent customer, if any.
func mapCustomer(tenant string, c *billing.Customer, parentID string) qbo.Customer {
	out := qbo.Customer{
		DisplayName: qboName(c.DisplayName),
		CompanyName: c.CompanyName,
		Notes:       marker(tenant, billing.KindCustomer, c.ID),
		Active:      qbo.Bool(true),
		// Set on every write: a customer in another currency than the
		// company's is refused without multicurrency, never booked in
		// the home currency; with it, its transactions follow it.
		CurrencyRef: ref(c.Currency),
	}
	if c.Email != "" {
		out.PrimaryEmailAddr = &qbo.EmailAddress{Address: c.Email}
	}
	if c.Phone != "" {
		out.PrimaryPhone = &qbo.TelephoneNumber{FreeFormNumber: c.Phone}
	}
	if a := c.BillingAddress; a != nil {
		out.BillAddr = &qbo.PhysicalAddress{Line1: a.Line1, Line2: a.Line2, City: a.City,
			CountrySubDivisionCode: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	if parentID != "" {
		out.ParentRef, out.Job = ref(parentID), qbo.Bool(true)
	}
	return out
}

// disambiguated is the DisplayName used when another QBO name (a vendor,
// an employee or someone else's customer) already has the billing name.
func disambiguated(c *billing.Customer) string {
	return qboName(fmt.Sprintf("%s (billing %s)", c.DisplayName, c.ID))
}

// Link extras of a customer created under another name than billing's:
// the name QuickBooks knows it by, and the billing name it stands for.
const (
	qboNameKey     = "qbo_name"
	renamedFromKey = "renamed_from"
)

func (r *run) syncCustomer(ctx context.Context, c *billing.Customer) (record.Link, error) {
	payload := mapCustomer(r.st.Tenant, c, r.qboID(billing.KindCustomer, c.ParentID))
	if r.st.Action == "deleted" {
		// A customer is never deleted in QBO, only made inactive.
		payload.Active = qbo.Bool(false)
	}
	key := billing.Ref{Kind: billing.KindCustomer, ID: c.ID}
	prev, err := r.linkOf(ctx, key)
	if err != nil {
		return prev, err
	}
	if name := prev.Extra[qboNameKey]; prev.Linked() && name != "" && prev.Extra[renamedFromKey] == payload.DisplayName {
		// Still the name QuickBooks had taken: keep writing under the one
		// it was created with, and keep telling admins.
		payload.DisplayName = name
		r.flag = renamedNotice(prev.Extra[renamedFromKey], name)
	}
	renamed := ""
	t := target[qbo.Customer]{
		payload: payload,
		find:    func(ctx context.Context) (qbo.Customer, bool, error) { return r.findCustomer(ctx, c) },
		create: func(ctx context.Context, v qbo.Customer, reqID string) (qbo.Customer, error) {
			// Only a name this create chose is a rename: an answer
			// replayed for an earlier attempt's requestid may carry an
			// older version's name, which the update that follows fixes.
			created, disambiguatedTo, err := r.createCustomer(ctx, c, v, reqID)
			if err == nil && disambiguatedTo != "" {
				renamed = disambiguatedTo
			}
			return created, err
		},
	}
	link, err := upsert(ctx, r, t)
	if err != nil || renamed == "" {
		return link, err
	}
	if link.Extra == nil {
		link.Extra = map[string]string{}
	}
	link.Extra[qboNameKey], link.Extra[renamedFromKey] = renamed, payload.DisplayName
	return r.putLink(ctx, link)
}

// renamedNotice tells admins a customer is in QuickBooks under another
// name than billing's, naming both.
func renamedNotice(billingName, qboName string) string {
	return fmt.Sprintf("QuickBooks already has a name %q (another billing customer's, or a vendor's or employee's): "+
		"this customer is in QuickBooks as %q. If both are the same customer, merge them in QuickBooks.", billingName, qboName)
}

// createCustomer creates v; when the name is taken (6240) it latches onto
// the QBO customer that is ours or has the same e-mail, else it creates the
// customer under a disambiguated name.
func (r *run) createCustomer(ctx context.Context, c *billing.Customer, v qbo.Customer, reqID string) (qbo.Customer, string, error) {
	created, err := qbo.Create(ctx, r.qbo, r.conn.RealmID, v, reqID)
	var qe *qbo.Error
	if !errors.As(err, &qe) || !qe.DuplicateName() {
		return created, "", err
	}
	if found, ok, ferr := r.findCustomer(ctx, c); ferr != nil || ok {
		return found, "", ferr
	}
	v.DisplayName = disambiguated(c)
	created, err = qbo.Create(ctx, r.qbo, r.conn.RealmID, v, reqID+"d")
	if err != nil {
		return created, "", err
	}
	r.flag = renamedNotice(qboName(c.DisplayName), v.DisplayName)
	return created, v.DisplayName, nil
}

// findCustomer looks for the QBO customer of c by name, active or not (an
// inactive one carries QuickBooks' " (deleted)" suffix): the one carrying
// c's marker, or one with c's e-mail that mirrors no other billing
// customer. A customer carrying another billing customer's (or tenant's)
// marker is never latched: two billing customers never share one QBO
// customer.
func (r *run) findCustomer(ctx context.Context, c *billing.Customer) (qbo.Customer, bool, error) {
	own := mark{tenant: r.st.Tenant, kind: billing.KindCustomer, id: c.ID}
	for _, name := range []string{qboName(c.DisplayName), disambiguated(c)} {
		stmt := "select * from Customer where " + qbo.NameIn("DisplayName", name) + " and Active in (true, false)"
		found, err := qbo.Query[qbo.Customer](ctx, r.qbo, r.conn.RealmID, stmt)
		if err != nil {
			return qbo.Customer{}, false, err
		}
		for _, f := range found {
			if carries(f.Notes, own) {
				return f, true, nil
			}
			if foreign(f.Notes, own) {
				continue
			}
			if c.Email != "" && f.PrimaryEmailAddr != nil && strings.EqualFold(f.PrimaryEmailAddr.Address, c.Email) {
				return f, true, nil
			}
		}
	}
	return qbo.Customer{}, false, nil
}
