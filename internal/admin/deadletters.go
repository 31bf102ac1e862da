package admin

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/queue"
	"github.com/qbosync/qbosync/internal/store"
)

// DeadLetters reads and redrives the dead-letter queues (queue.DeadLetters).
type DeadLetters interface {
	List(ctx context.Context, tenant string) (queue.Listing, error)
	Redrive(ctx context.Context, tenant string) (queue.Listing, error)
}

// deadLetterView is a tenant's share of the dead-letter queues: poison
// messages that exhausted their receives, per queue and one by one.
type deadLetterView struct {
	Total  int                `json:"total"`
	Counts []queue.QueueCount `json:"counts"`
	// Complete is false when the listing stopped at its limits; a
	// redrive and a second listing see the rest.
	Complete    bool               `json:"complete"`
	DeadLetters []queue.DeadLetter `json:"dead_letters"`
}

// queueNames are the dead-letter queues in the order counts list them:
// the kinds top-down, then the defer queue's.
func queueNames() []string {
	out := make([]string, 0, len(billing.Kinds)+1)
	for _, k := range billing.Kinds {
		out = append(out, string(k))
	}
	return append(out, queue.DeferQueueName)
}

// viewDeadLetters counts l per queue, every queue named.
func viewDeadLetters(l queue.Listing) deadLetterView {
	by := map[string]int{}
	for _, d := range l.Letters {
		by[d.Queue]++
	}
	v := deadLetterView{Total: len(l.Letters), Complete: l.Complete, DeadLetters: l.Letters}
	for _, q := range queueNames() {
		v.Counts = append(v.Counts, queue.QueueCount{Queue: q, Count: by[q]})
	}
	if v.DeadLetters == nil {
		v.DeadLetters = []queue.DeadLetter{}
	}
	return v
}

func (h *Handler) deadLetters(c *call) {
	if h.cfg.DeadLetters == nil {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the dead-letter queues are not configured"})
		return
	}
	l, err := h.cfg.DeadLetters.List(c.ctx(), c.tenant)
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	apijson.WriteJSON(c.w, http.StatusOK, viewDeadLetters(l))
}

type redriveView struct {
	Redriven int `json:"redriven"`
	deadLetterView
}

// redrive sends the tenant's dead letters back to their kinds' queues.
// Once fixed, a poison message is an ordinary sync again; the entity is
// level-triggered, so redriving one that synced meanwhile writes nothing.
func (h *Handler) redrive(c *call) {
	if h.cfg.DeadLetters == nil {
		apijson.WriteError(c.w, &apijson.Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the dead-letter queues are not configured"})
		return
	}
	l, err := h.cfg.DeadLetters.Redrive(c.ctx(), c.tenant)
	if n := len(l.Letters); n > 0 {
		// Audited even when the call failed part-way: what was sent is sent.
		aerr := h.cfg.Store.Audit(context.WithoutCancel(c.ctx()), c.tenant, store.AuditEntry{By: c.claims.Subject,
			Action: "redrive_dead_letters", Detail: redriveDetail(l), Count: n})
		if err == nil {
			err = aerr
		}
	}
	if err != nil {
		c.fail(h.cfg.Log, err)
		return
	}
	h.cfg.Log.InfoContext(c.ctx(), "dead letters redriven", "tenant", c.tenant, "by", c.claims.Subject, "count", len(l.Letters))
	apijson.WriteJSON(c.w, http.StatusOK, redriveView{Redriven: len(l.Letters), deadLetterView: viewDeadLetters(l)})
}

// redriveDetail says which queues the redriven messages came from, for
// the audit log: "customer 2, defer 1".
func redriveDetail(l queue.Listing) string {
	by := map[string]int{}
	for _, d := range l.Letters {
		by[d.Queue]++
	}
	parts := make([]string, 0, len(by))
	for q, n := range by {
		parts = append(parts, fmt.Sprintf("%s %d", q, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
