package app

import (
	"net/http"
	"time"

	"github.com/qbosync/qbosync/internal/customerimport"
	"github.com/qbosync/qbosync/internal/outbound"
)

// outboundTimeout bounds one delivery attempt: inside the function's
// 10 s and the attempt's lease.
const outboundTimeout = 8 * time.Second

// OutboundStore is where events to billing are recorded, as every
// function that records one builds it.
func OutboundStore(d Deps) *outbound.Store { return d.outbound() }

func (d Deps) outbound() *outbound.Store {
	st := outbound.NewStore(d.DynamoDB, d.Config.Table, d.SQS, d.Config.OutboundQueueURL, d.Now)
	if sl := d.sealer(); sl != nil {
		st = st.WithSealer(sl)
	}
	return st
}

// Outbound builds the handler of the outbound queue: one delivery
// attempt per message, with its own HTTP client (a receiver's endpoint is
// not Intuit, and its calls are not admitted against a company's budget).
func Outbound(d Deps) SQSHandler {
	b := outbound.DefaultBackoff
	if d.Config.OutboundRetryFirst > 0 {
		b.First = d.Config.OutboundRetryFirst
	}
	client := &http.Client{Timeout: outboundTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		// A redirect would carry the signed event somewhere the tenant did
		// not name; the 3xx is recorded as the answer instead.
		return http.ErrUseLastResponse
	}}
	dl := &outbound.Deliverer{Store: d.outbound(), Client: client, Backoff: b, Now: d.Now, Log: d.Log}
	return dl.Handle
}

// importer finds unlinked QuickBooks customers through client, the
// accounting client whose calls share the company's request budget.
func (d Deps) importer(client *http.Client) *customerimport.Importer {
	return &customerimport.Importer{DB: d.DynamoDB, Table: d.Config.Table, Links: d.store(), Tokens: d.connector(),
		Events: d.outbound(), QBOBaseURL: d.Config.QBOAPIBase, HTTPClient: client, Now: d.Now}
}
