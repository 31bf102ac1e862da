package billing

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Ref names one entity of a tenant.
type Ref struct {
	Kind Kind
	ID   string
}

// String returns "kind/id".
func (r Ref) String() string { return string(r.Kind) + "/" + r.ID }

// Entity is what every snapshot type offers the rest of the service.
type Entity interface {
	EntityID() string
	EntityVersion() int64
	// CustomerRef is the customer the entity belongs to: its own id for a
	// customer, "" for a product.
	CustomerRef() string
	// Refs lists every other entity this one references (parents first,
	// each once). Any of them may not have arrived yet.
	Refs() []Ref
	// EntityCurrency is the ISO 4217 code of the entity ("" for a product).
	EntityCurrency() string
}

// newEntity returns a pointer to a zero snapshot of kind.
func newEntity(kind Kind) Entity {
	switch kind {
	case KindCustomer:
		return &Customer{}
	case KindProduct:
		return &Product{}
	case KindInvoice:
		return &Invoice{}
	case KindPayment:
		return &Payment{}
	case KindRefund:
		return &Refund{}
	case KindCredit:
		return &Credit{}
	case KindChargeReversal:
		return &ChargeReversal{}
	case KindWriteOff:
		return &WriteOff{}
	case KindSale:
		return &Sale{}
	}
	return nil
}

// Decode reads a stored "data" object of kind with the same strict rules
// as the webhook and returns a pointer to the snapshot type (*Customer,
// *Invoice, ...). Problems are reported as a *ValidationError whose paths
// are relative to the data object.
func Decode(kind Kind, data json.RawMessage) (Entity, error) {
	ent := newEntity(kind)
	if ent == nil {
		return nil, fmt.Errorf("decode: unknown kind %q", kind)
	}
	var p problems
	if !utf8.Valid(data) || !json.Valid(data) {
		p.add("", "must be a JSON object in UTF-8")
		return nil, p.err()
	}
	decodeData(&p, "", data, ent)
	checkEntity(&p, "", ent)
	if err := p.err(); err != nil {
		return nil, err
	}
	return ent, nil
}

// refs collects references, dropping empty ids and repeats.
type refs []Ref

func (r *refs) add(kind Kind, id string) {
	if id == "" {
		return
	}
	for _, x := range *r {
		if x.Kind == kind && x.ID == id {
			return
		}
	}
	*r = append(*r, Ref{Kind: kind, ID: id})
}

// The snapshot types implement Entity.

func (c *Customer) EntityID() string       { return c.ID }
func (c *Customer) EntityVersion() int64   { return c.Version }
func (c *Customer) CustomerRef() string    { return c.ID }
func (c *Customer) EntityCurrency() string { return c.Currency }
func (c *Customer) Refs() []Ref {
	var r refs
	r.add(KindCustomer, c.ParentID)
	return r
}

func (p *Product) EntityID() string       { return p.ID }
func (p *Product) EntityVersion() int64   { return p.Version }
func (p *Product) CustomerRef() string    { return "" }
func (p *Product) EntityCurrency() string { return "" }
func (p *Product) Refs() []Ref            { return nil }

func (v *Invoice) EntityID() string       { return v.ID }
func (v *Invoice) EntityVersion() int64   { return v.Version }
func (v *Invoice) CustomerRef() string    { return v.CustomerID }
func (v *Invoice) EntityCurrency() string { return v.Currency }
func (v *Invoice) Refs() []Ref {
	var r refs
	r.add(KindCustomer, v.CustomerID)
	for _, l := range v.Lines {
		r.add(KindProduct, l.ProductID)
	}
	return r
}

func (p *Payment) EntityID() string       { return p.ID }
func (p *Payment) EntityVersion() int64   { return p.Version }
func (p *Payment) CustomerRef() string    { return p.CustomerID }
func (p *Payment) EntityCurrency() string { return p.Currency }
func (p *Payment) Refs() []Ref {
	var r refs
	r.add(KindCustomer, p.CustomerID)
	for _, a := range p.Applications {
		r.add(KindInvoice, a.InvoiceID)
	}
	return r
}

func (f *Refund) EntityID() string       { return f.ID }
func (f *Refund) EntityVersion() int64   { return f.Version }
func (f *Refund) EntityCurrency() string { return f.Currency }

// CustomerRef of a refund of a sale is "", as the sale's may be (its
// customer need not be a billing customer entity).
func (f *Refund) CustomerRef() string {
	if f.SaleID != "" {
		return ""
	}
	return f.CustomerID
}

// Refs of a refund of a sale name the sale alone: the sale's QuickBooks
// customer is the refund's, and it is linked once the sale is.
func (f *Refund) Refs() []Ref {
	var r refs
	if f.SaleID != "" {
		r.add(KindSale, f.SaleID)
		return r
	}
	r.add(KindCustomer, f.CustomerID)
	r.add(KindPayment, f.PaymentID)
	return r
}

func (c *Credit) EntityID() string       { return c.ID }
func (c *Credit) EntityVersion() int64   { return c.Version }
func (c *Credit) CustomerRef() string    { return c.CustomerID }
func (c *Credit) EntityCurrency() string { return c.Currency }
func (c *Credit) Refs() []Ref {
	var r refs
	r.add(KindCustomer, c.CustomerID)
	for _, l := range c.Lines {
		r.add(KindProduct, l.ProductID)
	}
	for _, a := range c.Applications {
		r.add(KindInvoice, a.InvoiceID)
	}
	return r
}

func (c *ChargeReversal) EntityID() string       { return c.ID }
func (c *ChargeReversal) EntityVersion() int64   { return c.Version }
func (c *ChargeReversal) CustomerRef() string    { return c.CustomerID }
func (c *ChargeReversal) EntityCurrency() string { return c.Currency }
func (c *ChargeReversal) Refs() []Ref {
	var r refs
	r.add(KindCustomer, c.CustomerID)
	r.add(KindInvoice, c.InvoiceID)
	return r
}

func (w *WriteOff) EntityID() string       { return w.ID }
func (w *WriteOff) EntityVersion() int64   { return w.Version }
func (w *WriteOff) CustomerRef() string    { return w.CustomerID }
func (w *WriteOff) EntityCurrency() string { return w.Currency }
func (w *WriteOff) Refs() []Ref {
	var r refs
	r.add(KindCustomer, w.CustomerID)
	r.add(KindInvoice, w.InvoiceID)
	return r
}

func (s *Sale) EntityID() string       { return s.ID }
func (s *Sale) EntityVersion() int64   { return s.Version }
func (s *Sale) EntityCurrency() string { return s.Currency }

// CustomerRef of a sale that names its customer inline is "": that
// customer need not exist in billing as a customer entity, so the sale is
// not grouped, dated or currency-checked by one.
func (s *Sale) CustomerRef() string {
	if s.Customer != nil {
		return ""
	}
	return s.CustomerID
}

// Refs of a sale that names its customer inline leave the customer out:
// the sale finds or creates it in QuickBooks itself.
func (s *Sale) Refs() []Ref {
	var r refs
	if s.Customer == nil {
		r.add(KindCustomer, s.CustomerID)
	}
	for _, l := range s.Lines {
		r.add(KindProduct, l.ProductID)
	}
	return r
}
