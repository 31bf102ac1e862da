package syncer

import (
	"sync"
	"time"
)

// creditMemory is how long a customer seen holding credit is assumed to
// hold it still. Credit on account stays until billing applies it, so
// the guess is mostly right; a wrong guess costs one request either way.
const creditMemory = time.Hour

// creditHintLimit bounds the customers remembered; past it the list is
// started again.
const creditHintLimit = 10000

// creditHints remembers, per company and customer, when QuickBooks'
// automation last applied the customer's credit to a new invoice. Such a
// customer's next invoices are created empty first (see createInvoice),
// which costs one request where undoing an automatic application costs
// two per credit applied. The memory is the process's own: it only ever
// chooses between two correct ways to create an invoice.
type creditHints struct {
	mu   sync.Mutex
	seen map[creditHolder]time.Time
}

type creditHolder struct{ realm, customer string }

func (h *creditHints) note(realm, customer string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil || len(h.seen) >= creditHintLimit {
		h.seen = map[creditHolder]time.Time{}
	}
	h.seen[creditHolder{realm, customer}] = now
}

func (h *creditHints) holdsCredit(realm, customer string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, ok := h.seen[creditHolder{realm, customer}]
	return ok && now.Sub(at) < creditMemory
}
