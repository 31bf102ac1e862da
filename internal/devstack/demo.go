package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
	"github.com/qbosync/qbosync/internal/store"
)

// The demo tenant `make dev` creates. The secret signs local webhooks only.
const (
	DemoTenant = "demo"
	DemoSecret = "whsec_demo_local_only"
)

// Demo is what RunDemo set up.
type Demo struct {
	Tenant  string
	Secret  string
	RealmID string
	Posted  []PostedEvent
}

// PostedEvent is a sample event RunDemo posted and the webhook's answer.
type PostedEvent struct {
	File   string
	Kind   billing.Kind
	ID     string
	Status int
	Answer string
}

// RunDemo creates the demo tenant, connects it to a new simulator company
// through the OAuth flow, posts every sample event of events/billing in
// file-name order (which is dependency order, save for the invoice that
// deliberately arrives before its customer) and waits until the sync is done.
// It reports each step to progress.
func (s *Stack) RunDemo(ctx context.Context, progress io.Writer) (Demo, error) {
	d := Demo{Tenant: DemoTenant, Secret: DemoSecret}
	if err := s.CreateTenant(ctx, d.Tenant, d.Secret); err != nil {
		return d, err
	}
	fmt.Fprintf(progress, "created tenant %s\n", d.Tenant)
	realm, err := s.ConnectQBO(ctx, d.Tenant)
	if err != nil {
		return d, err
	}
	d.RealmID = realm
	fmt.Fprintf(progress, "connected tenant %s to simulator company %s through the OAuth flow\n", d.Tenant, realm)
	files, err := filepath.Glob(filepath.Join(s.opts.Root, "events", "billing", "*.json"))
	if err != nil || len(files) == 0 {
		return d, errors.Join(errors.New("demo: no sample events under events/billing"), err)
	}
	slices.Sort(files)
	for _, f := range files {
		p, err := s.postFile(ctx, d, f)
		if err != nil {
			return d, err
		}
		d.Posted = append(d.Posted, p)
		fmt.Fprintf(progress, "posted %-32s → %d %s\n", p.File, p.Status, p.Answer)
		if p.Status/100 != 2 {
			return d, fmt.Errorf("demo: the webhook refused %s: %d %s", p.File, p.Status, p.Answer)
		}
	}
	start := time.Now()
	fmt.Fprint(progress, "syncing… ")
	if err := s.Drain(ctx); err != nil {
		fmt.Fprintln(progress, "not finished")
		return d, err
	}
	fmt.Fprintf(progress, "done in %.1fs\n", time.Since(start).Seconds())
	return d, nil
}

func (s *Stack) postFile(ctx context.Context, d Demo, path string) (PostedEvent, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return PostedEvent{}, fmt.Errorf("demo: %w", err)
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return PostedEvent{}, fmt.Errorf("demo: %s: %w", filepath.Base(path), err)
	}
	kind, _, _ := strings.Cut(ev.Type, ".")
	status, answer, err := s.PostEvent(ctx, d.Tenant, []byte(d.Secret), body)
	if err != nil {
		return PostedEvent{}, err
	}
	return PostedEvent{File: filepath.Base(path), Kind: billing.Kind(kind), ID: ev.Data.ID,
		Status: status, Answer: strings.TrimSpace(string(answer))}, nil
}

// WriteGuide prints where to look: the URLs of the stack and, after a
// demo, the state of each posted entity and ready-made commands.
func (s *Stack) WriteGuide(ctx context.Context, w io.Writer, d *Demo) error {
	gw, sim := s.GatewayURL(), s.QBOURL()
	fmt.Fprintf(w, "\nThe stack is running. Ctrl-C stops everything it started.\n\n")
	fmt.Fprintf(w, "  API gateway     %s\n", gw)
	fmt.Fprintf(w, "  admin           %s/admin\n", gw)
	fmt.Fprintf(w, "  queue status    %s/_dev/status\n", gw)
	fmt.Fprintf(w, "  run scheduler   curl -s -X POST %s/_dev/scheduler\n", gw)
	fmt.Fprintf(w, "  QBO simulator   %s (client %s / %s)\n", sim, SimClientID, SimClientSecret)
	fmt.Fprintf(w, "  connect tenant  curl -s -X POST %s/qbo/connect -H 'Authorization: Bearer <admin token>' -d '{\"tenant\":\"<tenant>\"}'\n", gw)
	fmt.Fprintf(w, "                  (then open the authorize_url it answers in a browser)\n")
	fmt.Fprintf(w, "  operator token  %s\n", s.OperatorToken())
	if d != nil {
		fmt.Fprintf(w, "  admin token     %s (tenant %s)\n", s.AdminToken(d.Tenant), d.Tenant)
		fmt.Fprintf(w, "  admin page      %s/admin#token=%s\n", gw, s.AdminToken(d.Tenant))
	}
	if d == nil {
		return nil
	}
	if err := s.writeEntities(ctx, w, d); err != nil {
		return err
	}
	// The guide shows QuickBooks' side through the simulator's ledger and
	// the admin API, never with a QuickBooks token: a printed token ends up
	// in terminal scrollback and shared logs.
	fmt.Fprintf(w, "\nThe demo company in the simulator (realm %s):\n", d.RealmID)
	fmt.Fprintf(w, "  ledger     curl -s %s/_sim/companies/%s/ledger\n", sim, d.RealmID)
	for _, p := range d.Posted {
		if p.Kind == billing.KindInvoice {
			fmt.Fprintf(w, "  invoice    curl -s -H 'Authorization: Bearer %s' \\\n", s.AdminToken(d.Tenant))
			fmt.Fprintf(w, "               '%s/api/v1/tenants/%s/entities/invoice/%s'\n", gw, url.PathEscape(d.Tenant), url.PathEscape(p.ID))
			fmt.Fprintf(w, "             (billing's snapshot, its status and the QuickBooks invoice)\n")
			break
		}
	}
	return s.writeCurl(w, d)
}

func (s *Stack) writeEntities(ctx context.Context, w io.Writer, d *Demo) error {
	fmt.Fprintf(w, "\nDemo tenant %q, entities after the sync:\n", d.Tenant)
	seen := map[string]bool{}
	for _, p := range d.Posted {
		key := string(p.Kind) + "/" + p.ID
		if seen[key] {
			continue
		}
		seen[key] = true
		e, err := s.store.Entity(ctx, d.Tenant, p.Kind, p.ID)
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(w, "  %-24s not stored\n", key)
			continue
		}
		if err != nil {
			return fmt.Errorf("guide: %w", err)
		}
		line := string(e.Status)
		if l, err := s.store.Link(ctx, d.Tenant, p.Kind, p.ID); err == nil && l.QBOID != "" {
			line += ", QBO id " + l.QBOID
		}
		if e.WaitingOn != "" {
			line += ", waiting on " + e.WaitingOn
		}
		if e.Warning != nil {
			line += ", " + e.Warning.Message
		}
		fmt.Fprintf(w, "  %-24s %s\n", key, line)
	}
	return nil
}

// writeCurl prints a ready webhook call with the signing recipe: the
// Billing-Signature is t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">.
func (s *Stack) writeCurl(w io.Writer, d *Demo) error {
	type customer struct {
		ID          string `json:"id"`
		Version     int    `json:"version"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		Currency    string `json:"currency"`
	}
	body, err := json.Marshal(struct {
		ID         string   `json:"id"`
		Type       string   `json:"type"`
		OccurredAt string   `json:"occurred_at"`
		Data       customer `json:"data"`
	}{"evt_local_1", "customer.updated", time.Now().UTC().Format(time.RFC3339),
		customer{"cus_1001", 2, "Acme Corp", "accounts@acme.example", "USD"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nPost an event yourself (change the body's id and version for each new one):\n")
	fmt.Fprintf(w, "  body='%s'\n", body)
	fmt.Fprintf(w, "  t=$(date +%%s)\n")
	fmt.Fprintf(w, "  sig=$(printf '%%s.%%s' \"$t\" \"$body\" | openssl dgst -sha256 -hmac '%s' -r | cut -d' ' -f1)\n", d.Secret)
	fmt.Fprintf(w, "  curl -s -X POST %s -H 'Content-Type: application/json' \\\n", s.WebhookURL(d.Tenant))
	fmt.Fprintf(w, "    -H \"%s: t=$t,v1=$sig\" -d \"$body\"\n\n", billing.SignatureHeader)
	return nil
}
