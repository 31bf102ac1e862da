package operator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/devstack"
)

// The operator API is called as an operator's script calls it: over HTTP
// through the local gateway, on the stack's store in DynamoDB Local.

type client struct {
	t     *testing.T
	base  string
	token string
}

func newClient(t *testing.T) (*devstack.Stack, *client) {
	t.Helper()
	s := devstack.ForTest(t)
	return s, &client{t: t, base: s.GatewayURL() + "/api/v1/operator", token: s.OperatorToken()}
}

// answer is a response as the caller sees it.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c *client) send(method, path, contentType, body string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			c.t.Fatalf("%s %s answered %d with a body that is not a JSON object: %q", method, path, resp.StatusCode, raw)
		}
	}
	return a
}

func (c *client) json(method, path, body string) answer {
	c.t.Helper()
	return c.send(method, path, "application/json", body)
}

// refused checks a refusal: its status, its code, and that its message
// names what was wrong.
func refused(t *testing.T, what string, a answer, status int, code, mentions string) {
	t.Helper()
	if a.status != status || a.body["error"] != code {
		t.Errorf("%s: answered %d %v, want %d %s: %s", what, a.status, a.body["error"], status, code, a.raw)
		return
	}
	msg, _ := a.body["message"].(string)
	if !strings.Contains(msg, mentions) {
		t.Errorf("%s: message %q does not mention %q", what, msg, mentions)
	}
	if got := a.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, got)
	}
}

func field(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		obj, _ := v.(map[string]any)
		v = obj[p]
	}
	return v
}

func TestCreatedTenantsSecretIsShownOnceAndListedByIDOnly(t *testing.T) {
	_, c := newClient(t)
	created := c.json("POST", "/tenants", `{"id":"acme","name":"Acme Corp"}`)
	if created.status != http.StatusCreated {
		t.Fatalf("create answered %d: %s", created.status, created.raw)
	}
	value, _ := field(created.body, "webhook_secret", "value").(string)
	id, _ := field(created.body, "webhook_secret", "id").(string)
	if !strings.HasPrefix(value, "whsec_") || len(value) < 40 || !strings.HasPrefix(id, "whs_") {
		t.Fatalf("created secret id %q value %q, want whs_… and a long whsec_… value", id, value)
	}
	if field(created.body, "tenant", "name") != "Acme Corp" {
		t.Errorf("created tenant = %v, want the name Acme Corp", created.body["tenant"])
	}

	got := c.json("GET", "/tenants/acme", "")
	if got.status != http.StatusOK {
		t.Fatalf("get answered %d: %s", got.status, got.raw)
	}
	if strings.Contains(got.raw, value) || strings.Contains(got.raw, "value") {
		t.Errorf("reading the tenant shows the secret's value again: %s", got.raw)
	}
	secrets, _ := got.body["webhook_secrets"].([]any)
	if len(secrets) != 1 || field(secrets[0].(map[string]any), "id") != id {
		t.Errorf("the tenant's secrets = %v, want the one id %s", secrets, id)
	}

	list := c.json("GET", "/tenants", "")
	if list.status != http.StatusOK || !strings.Contains(list.raw, `"id":"acme"`) || strings.Contains(list.raw, value) {
		t.Errorf("the tenant list (%d) should name acme and no secret: %s", list.status, list.raw)
	}
}

func TestCreateTenantRefusesBadInputNamingTheField(t *testing.T) {
	_, c := newClient(t)
	refused(t, "an id with capitals and a space", c.json("POST", "/tenants", `{"id":"Acme Co","name":"Acme"}`),
		400, "invalid_request", "id must be")
	refused(t, "no name", c.json("POST", "/tenants", `{"id":"acme","name":""}`), 400, "invalid_request", "name must be")
	refused(t, "a control character in the name", c.json("POST", "/tenants", `{"id":"acme","name":"Ac\u0007me"}`),
		400, "invalid_request", "name must be")
	refused(t, "an unknown field", c.json("POST", "/tenants", `{"id":"acme","name":"Acme","plan":"gold"}`),
		400, "invalid_request", `"plan"`)
	refused(t, "a number for the id", c.json("POST", "/tenants", `{"id":7,"name":"Acme"}`), 400, "invalid_request", `"id"`)
	refused(t, "two JSON values", c.json("POST", "/tenants", `{"id":"acme","name":"Acme"} {}`), 400, "invalid_request", "more than one")
	refused(t, "no body", c.json("POST", "/tenants", ""), 400, "invalid_request", "body is required")
	refused(t, "a text body", c.send("POST", "/tenants", "text/plain", `{"id":"acme","name":"Acme"}`),
		415, "unsupported_media_type", "application/json")
	refused(t, "a 5 KB name", c.json("POST", "/tenants", `{"id":"acme","name":"`+strings.Repeat("a", 5000)+`"}`),
		413, "body_too_large", "4096 bytes")

	if a := c.json("GET", "/tenants/acme", ""); a.status != http.StatusNotFound {
		t.Errorf("after only refused creates, acme answers %d, want 404: %s", a.status, a.raw)
	}
	if a := c.json("POST", "/tenants", `{"id":"acme","name":"Acme"}`); a.status != http.StatusCreated {
		t.Fatalf("create answered %d: %s", a.status, a.raw)
	}
	refused(t, "the same id again", c.json("POST", "/tenants", `{"id":"acme","name":"Acme 2"}`), 409, "tenant_exists", "acme")
}

func TestSecretRotationKeepsOneActiveSecret(t *testing.T) {
	_, c := newClient(t)
	first := c.json("POST", "/tenants", `{"id":"acme","name":"Acme"}`)
	if first.status != http.StatusCreated {
		t.Fatalf("create answered %d: %s", first.status, first.raw)
	}
	firstID, _ := field(first.body, "webhook_secret", "id").(string)

	second := c.json("POST", "/tenants/acme/webhook-secrets", "")
	if second.status != http.StatusCreated {
		t.Fatalf("a second secret answered %d: %s", second.status, second.raw)
	}
	secondID, _ := field(second.body, "webhook_secret", "id").(string)
	if v, _ := field(second.body, "webhook_secret", "value").(string); !strings.HasPrefix(v, "whsec_") || secondID == firstID {
		t.Errorf("second secret id %q value %q, want a new id and a whsec_ value", secondID, v)
	}
	refused(t, "a third active secret", c.json("POST", "/tenants/acme/webhook-secrets", ""), 409, "too_many_secrets", "retire the old one")
	refused(t, "a malformed secret id", c.json("DELETE", "/tenants/acme/webhook-secrets/not-an-id", ""), 400, "invalid_request", "whs_")

	if a := c.json("DELETE", "/tenants/acme/webhook-secrets/"+firstID, ""); a.status != http.StatusNoContent || a.raw != "" {
		t.Fatalf("retiring the first secret answered %d %q, want 204 and no body", a.status, a.raw)
	}
	got := c.json("GET", "/tenants/acme", "")
	if strings.Contains(got.raw, firstID) || !strings.Contains(got.raw, secondID) {
		t.Errorf("after retiring %s the tenant shows %s, want only %s", firstID, got.raw, secondID)
	}
	refused(t, "retiring the last secret", c.json("DELETE", "/tenants/acme/webhook-secrets/"+secondID, ""), 409, "last_secret", "successor")
	refused(t, "a secret of a tenant that does not exist", c.json("POST", "/tenants/ghost/webhook-secrets", ""), 404, "not_found", "no such tenant")
}

func TestOperatorRoutesAdmitOperatorsOnly(t *testing.T) {
	s, c := newClient(t)
	c.token = ""
	a := c.json("GET", "/tenants", "")
	refused(t, "no token", a, 401, "unauthorized", "bearer token")
	if got := a.header.Get("WWW-Authenticate"); got != `Bearer realm="qbosync"` {
		t.Errorf("401 WWW-Authenticate = %q", got)
	}
	c.token = "not.a.jwt"
	refused(t, "a token that does not verify", c.json("GET", "/tenants", ""), 401, "unauthorized", "bearer token")
	c.token = s.AdminToken("acme")
	for _, route := range []string{"/tenants", "/dead-letters", "/tenants/acme", "/no-such-route"} {
		refused(t, "an admin's token on "+route, c.json("GET", route, ""), 403, "forbidden", "does not allow")
	}
	refused(t, "an admin creating a tenant", c.json("POST", "/tenants", `{"id":"evil","name":"Evil"}`), 403, "forbidden", "does not allow")
}

func TestUnknownRoutesAndMalformedPathsAnswerJSON(t *testing.T) {
	_, c := newClient(t)
	refused(t, "a method the path has no route for", c.json("PUT", "/tenants", `{}`), 404, "not_found", "no such route")
	refused(t, "a path below a tenant that is no route", c.json("GET", "/tenants/acme/books", ""), 404, "not_found", "no such route")
	if a := c.json("HEAD", "/tenants", ""); a.status != http.StatusNotFound {
		t.Errorf("HEAD on a GET route answered %d, want 404: the API has no HEAD routes", a.status)
	}
	refused(t, "a tenant id with capitals", c.json("GET", "/tenants/Not_A_Tenant", ""), 400, "invalid_request", "tenant must be")
	refused(t, "a tenant that does not exist", c.json("GET", "/tenants/ghost", ""), 404, "not_found", "no such tenant")
	refused(t, "a realm that is not digits", c.json("PUT", "/tenants/ghost/shared-companies/abc", ""), 400, "invalid_request", "realm must be")
}

func TestSharingACompanyNeedsBothTheTenantAndAnOwner(t *testing.T) {
	_, c := newClient(t)
	if a := c.json("POST", "/tenants", `{"id":"beta","name":"Beta"}`); a.status != http.StatusCreated {
		t.Fatalf("create answered %d: %s", a.status, a.raw)
	}
	refused(t, "sharing for a tenant that does not exist", c.json("PUT", "/tenants/ghost/shared-companies/1234567", ""),
		404, "not_found", "no such tenant")
	refused(t, "sharing a company no tenant syncs to", c.json("PUT", "/tenants/beta/shared-companies/1234567", ""),
		404, "not_found", "no tenant syncs to company 1234567")
}

func TestFleetDeadLettersStartEmpty(t *testing.T) {
	_, c := newClient(t)
	a := c.json("GET", "/dead-letters", "")
	if a.status != http.StatusOK {
		t.Fatalf("dead letters answered %d: %s", a.status, a.raw)
	}
	letters, ok := a.body["dead_letters"].([]any)
	if a.body["total"] != float64(0) || !ok || len(letters) != 0 || a.body["complete"] != true {
		t.Errorf("a new stack's dead letters = %s, want total 0, an empty complete list", a.raw)
	}
	if counts, _ := a.body["counts"].([]any); len(counts) == 0 {
		t.Errorf("no queue depths in %s, want one count per dead-letter queue", a.raw)
	}
}
