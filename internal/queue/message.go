// Package queue carries "entity changed" notices from the webhook (and from
// wake-ups and resends) to the per-kind SQS FIFO queues, and adapts SQS
// batches to the sync engine with the FIFO partial-failure rule.
package queue

import "github.com/qbosync/qbosync/internal/change"

// Message says only that an entity changed (package change).
type Message = change.Message

// SourceQuickBooks marks a message about an object changed in QuickBooks.
const SourceQuickBooks = change.SourceQuickBooks
