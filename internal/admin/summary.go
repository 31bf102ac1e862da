package admin

import (
	"context"
	"errors"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/money"
	"github.com/qbosync/qbosync/internal/store"
)

// summaryView is what a person recognises an entity by: its number,
// customer, amount and date, amounts formatted exactly from minor units.
type summaryView struct {
	Name         string `json:"name,omitempty"` // customer or product name
	Number       string `json:"number,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	Amount       string `json:"amount,omitempty"`
	Currency     string `json:"currency,omitempty"`
	Date         string `json:"date,omitempty"`
}

// customerNames caches the display names of one request's customers.
type customerNames map[string]string

func (h *Handler) summarize(ctx context.Context, tenant string, r store.EntityRecord, names customerNames) (*summaryView, error) {
	ent, err := billing.Decode(r.Kind, r.Data)
	if err != nil {
		return nil, nil // a snapshot the contract no longer accepts is shown raw
	}
	var s summaryView
	var minor int64
	switch v := ent.(type) {
	case *billing.Customer:
		return &summaryView{Name: v.DisplayName, Currency: v.Currency}, nil
	case *billing.Product:
		return &summaryView{Name: v.Name}, nil
	case *billing.Invoice:
		s, minor = summaryView{Number: v.Number, Currency: v.Currency, Date: v.IssuedOn.String()}, v.Total
	case *billing.Payment:
		s, minor = summaryView{Number: v.Reference, Currency: v.Currency, Date: v.ReceivedOn.String()}, v.Amount
	case *billing.Credit:
		s, minor = summaryView{Currency: v.Currency, Date: v.IssuedOn.String()}, v.Amount
	case *billing.ChargeReversal:
		s, minor = summaryView{Currency: v.Currency, Date: v.ReversedOn.String()}, v.Amount
	case *billing.WriteOff:
		s, minor = summaryView{Currency: v.Currency, Date: v.WrittenOffOn.String()}, v.Amount
	case *billing.Refund:
		s, minor = summaryView{Currency: v.Currency, Date: v.RefundedOn.String()}, v.Amount
	default:
		return nil, nil
	}
	if a, err := money.Format(minor, s.Currency); err == nil {
		s.Amount = a
	}
	name, err := names.of(ctx, h.cfg.Store, tenant, ent.CustomerRef())
	s.CustomerName = name
	return &s, err
}

// of returns the display name billing gave customer id, "" when billing
// never sent it.
func (n customerNames) of(ctx context.Context, st Store, tenant, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if name, ok := n[id]; ok {
		return name, nil
	}
	rec, err := st.EntityRecord(ctx, tenant, billing.KindCustomer, id)
	if errors.Is(err, store.ErrNotFound) {
		n[id] = ""
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var c billing.Customer
	if ent, err := billing.Decode(billing.KindCustomer, rec.Data); err == nil {
		c = *ent.(*billing.Customer)
	}
	n[id] = c.DisplayName
	return c.DisplayName, nil
}
