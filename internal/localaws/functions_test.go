package localaws

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/config"
)

func repoFunctions(t *testing.T) map[string]Function {
	t.Helper()
	fns, err := repoTemplate(t).Functions()
	if err != nil {
		t.Fatal(err)
	}
	return fns
}

// syncFunctions are the logical ids of the per-kind sync functions.
func syncFunctions() []string {
	var ids []string
	for _, k := range billing.Kinds {
		ids = append(ids, SyncFunctionLogicalID(k))
	}
	return ids
}

func TestTemplateGlobals(t *testing.T) {
	var g struct {
		Runtime       string   `yaml:"Runtime"`
		Architectures []string `yaml:"Architectures"`
		Handler       string   `yaml:"Handler"`
		Tracing       string   `yaml:"Tracing"`
		LoggingConfig struct {
			LogFormat string `yaml:"LogFormat"`
		} `yaml:"LoggingConfig"`
	}
	tpl := repoTemplate(t)
	if err := tpl.Globals.Function.Decode(&g); err != nil {
		t.Fatal(err)
	}
	if g.Runtime != "provided.al2023" || !slices.Equal(g.Architectures, []string{"arm64"}) || g.Handler != "bootstrap" ||
		g.Tracing != "Active" || g.LoggingConfig.LogFormat != "JSON" {
		t.Errorf("Globals.Function = %+v, want provided.al2023, [arm64], bootstrap, Active tracing, JSON logs", g)
	}
}

var (
	makeTarget    = regexp.MustCompile(`(?m)^build-([A-Za-z0-9]+):.*\./functions/([A-Za-z0-9_/-]+)\s*$`)
	makeFunctions = regexp.MustCompile(`(?m)^FUNCTIONS\s*:=((?:.*\\\n)*.*)$`)
)

// Every function is built by `sam build` through its Makefile target from
// a main package under functions/.
func TestTemplateFunctionsAreBuildable(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{}
	for _, m := range makeTarget.FindAllStringSubmatch(string(makefile), -1) {
		targets[m[1]] = m[2]
	}
	fns := repoFunctions(t)
	var missing []string
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		if f.BuildMethod != "makefile" || f.CodeURI != "." {
			t.Errorf("%s: BuildMethod %q, CodeUri %q; want makefile and .", id, f.BuildMethod, f.CodeURI)
		}
		dir, ok := targets[id]
		if !ok {
			t.Errorf("Makefile has no target build-%s building ./functions/<dir>", id)
			continue
		}
		path := filepath.Join(root, "functions", dir)
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, "functions/"+dir+" (for "+id+") does not exist")
			continue
		}
		pkg, err := build.ImportDir(path, 0)
		switch {
		case err != nil:
			missing = append(missing, "functions/"+dir+" (for "+id+"): "+err.Error())
		case pkg.Name != "main":
			missing = append(missing, "functions/"+dir+" (for "+id+"): package "+pkg.Name+", want main")
		}
	}
	if len(missing) > 0 {
		t.Errorf("function packages missing or not a main package:\n  %s", strings.Join(missing, "\n  "))
	}
	for id := range targets {
		if _, ok := fns[id]; !ok {
			t.Errorf("Makefile builds %s, which template.yaml does not define", id)
		}
	}
	m := makeFunctions.FindStringSubmatch(string(makefile))
	if m == nil {
		t.Fatal("Makefile has no FUNCTIONS list")
	}
	listed := strings.Fields(strings.ReplaceAll(m[1], "\\\n", " "))
	sort.Strings(listed)
	if d := cmp.Diff(sortedKeys(fns), listed); d != "" {
		t.Errorf("Makefile FUNCTIONS (-template +Makefile):\n%s", d)
	}
}

func TestTemplateRoutes(t *testing.T) {
	want := map[string][]Route{
		"WebhookFunction": {{"POST", "/v1/intuit/webhooks"}, {"POST", "/v1/webhooks/{tenant}"}},
		"OAuthFunction":   {{"GET", "/qbo/callback"}, {"POST", "/qbo/connect"}, {"GET", "/qbo/connection"}, {"POST", "/qbo/disconnect"}},
		"AdminFunction":   {{"GET", "/admin"}, {"GET", "/admin/{proxy+}"}, {"ANY", "/api/v1/{proxy+}"}},
	}
	got := map[string][]Route{}
	fns := repoFunctions(t)
	for id, f := range fns {
		routes, err := f.Routes()
		if err != nil {
			t.Fatal(err)
		}
		if len(routes) > 0 {
			got[id] = routes
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("routes (-want +got):\n%s", d)
	}
	schedules, err := fns["SchedulerFunction"].Schedules()
	if err != nil || !slices.Equal(schedules, []string{"rate(1 hour)"}) {
		t.Errorf("SchedulerFunction schedules = %v (%v), want [rate(1 hour)]", schedules, err)
	}
}

// The environment the template gives each function satisfies what the
// function asks internal/config for.
func TestTemplateEnvironmentSatisfiesConfig(t *testing.T) {
	needs := map[string][]string{
		"WebhookFunction":   config.Webhook,
		"OAuthFunction":     config.OAuth,
		"SchedulerFunction": config.Scheduler,
		"AdminFunction":     config.Admin,
		"ResumeFunction":    config.Resume,
		"OutboundFunction":  config.Outbound,
	}
	for _, id := range syncFunctions() {
		needs[id] = config.Sync
	}
	fns := repoFunctions(t)
	tpl := repoTemplate(t)
	for id, need := range needs {
		f, ok := fns[id]
		if !ok {
			t.Errorf("template has no %s", id)
			continue
		}
		lookup := func(name string) (string, bool) {
			v, ok := f.Environment[name]
			if lit, isLit := v.Literal(); isLit {
				return lit, ok
			}
			if param, err := tpl.resolve(v.node, Resources{}, Deployment{}); err == nil {
				return param, ok // a parameter's default
			}
			return "set by the template", ok
		}
		if _, err := config.FromEnv(lookup, need...); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		if ref, _ := f.Environment[TableNameEnv].Ref(); ref != TableLogicalID {
			t.Errorf("%s: %s = %s, want !Ref %s", id, TableNameEnv, f.Environment[TableNameEnv], TableLogicalID)
		}
		for _, k := range billing.Kinds {
			if ref, _ := f.Environment[config.QueueEnv(k)].Ref(); ref != QueueLogicalID(k) {
				t.Errorf("%s: %s = %s, want !Ref %s", id, config.QueueEnv(k), f.Environment[config.QueueEnv(k)], QueueLogicalID(k))
			}
			if ref, _ := f.Environment[config.BackfillQueueEnv(k)].Ref(); ref != BackfillQueueLogicalID(k) {
				t.Errorf("%s: %s = %s, want !Ref %s", id, config.BackfillQueueEnv(k), f.Environment[config.BackfillQueueEnv(k)], BackfillQueueLogicalID(k))
			}
		}
	}
}

// policyTargets maps each policy of f (a SAM policy template name, or
// Statement for inline statements) to the resources and parameters its
// arguments reference.
func policyTargets(t *testing.T, f Function) map[string][]string {
	out := map[string][]string{}
	for _, p := range f.Policies {
		n := p.node
		if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
			t.Fatalf("%s: policy %s is not a one-key mapping", f.LogicalID, p)
		}
		name := n.Content[0].Value
		for _, r := range references(n.Content[1]) {
			if !pseudoParameters[r.target] {
				out[name] = append(out[name], r.target)
			}
		}
		sort.Strings(out[name])
	}
	return out
}

func TestTemplatePoliciesAreLeastPrivilege(t *testing.T) {
	var allQueues []string
	for _, k := range billing.Kinds {
		allQueues = append(allQueues, QueueLogicalID(k))
	}
	sort.Strings(allQueues)
	// The webhook, the sync functions (a backfill's wake-ups) and the
	// resume function send to the backfill lanes too.
	bothLanes := slices.Clone(allQueues)
	for _, k := range billing.Kinds {
		bothLanes = append(bothLanes, BackfillQueueLogicalID(k))
	}
	sort.Strings(bothLanes)
	bothLanesDefer := append(slices.Clone(bothLanes), "DeferQueue")
	sort.Strings(bothLanesDefer)
	tokens := []string{"IntuitClientSecretParam", "TokenKey"}
	withDefer := append(slices.Clone(allQueues), "DeferQueue")
	sort.Strings(withDefer)
	var deadLetterQueues []string
	for _, k := range billing.Kinds {
		deadLetterQueues = append(deadLetterQueues, DLQLogicalID(k))
	}
	adminStatements := append(slices.Clone(tokens), deadLetterQueues...)
	adminStatements = append(adminStatements, "DeferDLQ")
	sort.Strings(adminStatements)
	withOutbound := append(slices.Clone(allQueues), "OutboundQueue")
	sort.Strings(withOutbound)
	syncSends := append(slices.Clone(bothLanesDefer), "OutboundQueue")
	sort.Strings(syncSends)
	sendsAndTokens := map[string][]string{
		"DynamoDBCrudPolicy":   {TableLogicalID},
		"SQSSendMessagePolicy": withOutbound,
		"Statement":            tokens,
	}
	want := map[string]map[string][]string{
		// The webhook opens sealed webhook secrets and reads the verifier
		// token of Intuit's webhooks; the OAuth function requeues parked
		// entities after a connect.
		"WebhookFunction": {"DynamoDBCrudPolicy": {TableLogicalID}, "SQSSendMessagePolicy": bothLanes, "Statement": {"IntuitVerifierTokenParam", "TokenKey"}},
		"OAuthFunction": {
			"DynamoDBCrudPolicy":   {TableLogicalID},
			"SQSSendMessagePolicy": allQueues,
			"Statement":            {"IntuitClientSecretParam", "StateSigningKeyParam", "TokenKey"},
		},
		// The scheduler records invoices paid, customers found and
		// payments recorded in QuickBooks.
		"SchedulerFunction": sendsAndTokens,
		// The admin function also reads and redrives the dead-letter queues.
		"AdminFunction": {
			"DynamoDBCrudPolicy":   {TableLogicalID},
			"SQSSendMessagePolicy": withOutbound,
			"Statement":            adminStatements,
		},
		// The resume function only moves parked syncs between queues.
		"ResumeFunction": {"SQSSendMessagePolicy": bothLanesDefer},
		// The outbound function opens the endpoints' signing secrets and
		// parks each next attempt on its own queue.
		"OutboundFunction": {"DynamoDBCrudPolicy": {TableLogicalID}, "SQSSendMessagePolicy": {"OutboundQueue"}, "Statement": {"TokenKey"}},
	}
	// Sync functions also park syncs that must wait.
	for _, id := range syncFunctions() {
		want[id] = map[string][]string{"DynamoDBCrudPolicy": {TableLogicalID}, "SQSSendMessagePolicy": syncSends, "Statement": tokens}
	}
	got := map[string]map[string][]string{}
	for id, f := range repoFunctions(t) {
		got[id] = policyTargets(t, f)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("what each function's policies grant access to (-want +got):\n%s", d)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
