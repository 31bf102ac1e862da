package devstack

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// make dev RUNTIME=rie: the demo syncs through the functions' bootstraps
// under aws-lambda-rie, as AWS runs them, not the handlers in this process.
func TestRIERuntimeSyncsTheDemo(t *testing.T) {
	s := ForTestWith(t, Options{Emulators: emulators, Runtime: RuntimeRIE})
	ctx := testContext(t)
	d, err := s.RunDemo(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(s.opts.Root, "events", "billing", "*.json"))
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		parts := strings.SplitN(base, "-", 3) // 04-invoice-inv_1001
		if len(parts) != 3 {
			continue
		}
		e, err := s.Store().Entity(ctx, d.Tenant, billing.Kind(parts[1]), parts[2])
		if err != nil || e.Status != store.StatusSynced {
			t.Errorf("%s/%s: status %q err %v, want synced", parts[1], parts[2], e.Status, err)
		}
	}
	// The work was done by the bootstraps: every sync function ran under
	// the emulator and reported to it.
	for _, kind := range []string{"SyncCustomerFunction", "SyncInvoiceFunction", "WebhookFunction", "OAuthFunction"} {
		f := s.rie.functions[kind]
		if f == nil || !strings.Contains(f.Output(), "REPORT RequestId:") {
			t.Errorf("%s did not run under the emulator", kind)
		}
	}
}
