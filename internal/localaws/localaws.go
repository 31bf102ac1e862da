// Package localaws runs the product's AWS resources on this machine:
// DynamoDB Local and the fauxqs SQS emulator (installed under
// infra/local), with the table and queues created from template.yaml so
// local and deployed resources cannot drift. Integration tests and the dev
// stack use it; the functions never do.
package localaws

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/qbosync/qbosync/internal/billing"
)

// Names the code and template.yaml share. The template test asserts that
// the template declares exactly these.
const (
	TableLogicalID   = "Table"
	PartitionKey     = "pk"
	SortKey          = "sk"
	StatusIndex      = "status-index"
	StatusIndexPK    = "gsi1pk"
	StatusIndexSK    = "gsi1sk"
	TTLAttribute     = "expires_at"
	TableNameEnv     = "TABLE_NAME"
	SyncKindEnv      = "SYNC_KIND"
	DLQMaxReceives   = 5
	TemplateFileName = "template.yaml"
)

// QueueLogicalID is the template's logical id of kind's FIFO queue,
// for example ChargeReversalQueue.
func QueueLogicalID(kind billing.Kind) string { return pascal(kind) + "Queue" }

// BackfillQueueLogicalID is the template's logical id of kind's backfill
// FIFO queue, for example InvoiceBackfillQueue.
func BackfillQueueLogicalID(kind billing.Kind) string { return pascal(kind) + "BackfillQueue" }

// DLQLogicalID is the template's logical id of kind's dead-letter queue.
func DLQLogicalID(kind billing.Kind) string { return pascal(kind) + "DLQ" }

// SyncFunctionLogicalID is the template's logical id of the function that
// consumes kind's queue, for example SyncChargeReversalFunction.
func SyncFunctionLogicalID(kind billing.Kind) string { return "Sync" + pascal(kind) + "Function" }

func pascal(kind billing.Kind) string {
	var b strings.Builder
	for _, part := range strings.Split(string(kind), "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// RepoRoot returns the directory holding go.mod, searching upwards from the
// working directory (a package directory when run by go test).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find repository root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}
