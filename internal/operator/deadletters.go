package operator

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/qbosync/qbosync/internal/apijson"
	"github.com/qbosync/qbosync/internal/queue"
)

// DeadLetters reads the dead-letter queues (queue.DeadLetters).
type DeadLetters interface {
	Counts(ctx context.Context) ([]queue.QueueCount, error)
	List(ctx context.Context, tenant string) (queue.Listing, error)
}

// WithDeadLetters lets operators see every tenant's dead letters.
func (h *Handler) WithDeadLetters(d DeadLetters) *Handler {
	h.dead = d
	return h
}

// fleetDeadLetters is every dead-letter queue's depth as SQS reports it and
// each message in them, of every tenant, undecodable ones included.
type fleetDeadLetters struct {
	Total       int                `json:"total"`
	Counts      []queue.QueueCount `json:"counts"`
	Complete    bool               `json:"complete"`
	DeadLetters []queue.DeadLetter `json:"dead_letters"`
}

func (h *Handler) deadLetters(ctx context.Context) events.APIGatewayV2HTTPResponse {
	if h.dead == nil {
		return apijson.Respond(http.StatusServiceUnavailable, apijson.Errorf(0, "unavailable", "the dead-letter queues are not configured"))
	}
	counts, err := h.dead.Counts(ctx)
	if err != nil {
		return h.fail(ctx, err)
	}
	l, err := h.dead.List(ctx, "")
	if err != nil {
		return h.fail(ctx, err)
	}
	v := fleetDeadLetters{Counts: counts, Complete: l.Complete, DeadLetters: l.Letters}
	for _, c := range counts {
		v.Total += c.Count
	}
	if v.DeadLetters == nil {
		v.DeadLetters = []queue.DeadLetter{}
	}
	return apijson.Respond(http.StatusOK, v)
}
