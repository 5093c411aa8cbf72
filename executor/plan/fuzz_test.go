package plan_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/policy"
)

// FuzzPlan decodes arbitrary request bodies as the server does and plans
// them against a fixed host. Its seeds are the hostile corpus of the host
// e2e tests plus valid requests. Properties: no panic; every refusal is an
// *api.Error a client can act on (invalid_request, policy_denied,
// not_found or conflict), never an internal error; and an accepted plan
// only touches the tenant's own paths, passes the policy step by step, runs
// absolute commands, and is planned again with the same digest.
func FuzzPlan(f *testing.F) {
	for _, r := range []api.PlanRequest{
		tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}),
		tenantReq(api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment, GatewayPort: 20020, DisplayName: "Acme",
			Labels: map[string]string{"team": "a"}, Limits: api.Limits{MemoryMaxMB: 512, TasksMax: 64},
			SudoCommands: []string{"/usr/bin/systemctl restart missioncontrol-gateway@acme.service"}}),
		{Tenant: "acme", Changes: []api.Change{
			{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &api.TenantSpec{Name: "acme", Environment: api.EnvDevelopment}},
			{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main", Files: map[string]string{"AGENTS.md": "# hi\n"}}},
			{Kind: api.ObjectService, Action: api.ActionApply, Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: map[string]string{"LOG": "1"}}},
		}},
	} {
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	// As a test every corpus case is a seed. When fuzzing, every eighth:
	// gathering coverage costs about 0.1 s a seed, and make fuzz is short.
	every := 1
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		every = 8
	}
	if corpus, err := os.Open(filepath.Join("..", "e2e", "testdata", "hostile", "corpus.jsonl")); err == nil {
		sc := bufio.NewScanner(corpus)
		sc.Buffer(nil, 1<<20)
		for n := 0; sc.Scan(); n++ {
			if n%every != 0 {
				continue
			}
			var c struct {
				Body json.RawMessage `json:"body"`
				Raw  string          `json:"raw"`
				Pad  int             `json:"pad"`
			}
			if json.Unmarshal(sc.Bytes(), &c) != nil || c.Pad > 0 {
				continue
			}
			if b := []byte(c.Raw); len(c.Body) > 0 {
				f.Add([]byte(c.Body))
			} else if len(b) < 4096 {
				f.Add(b)
			}
		}
		corpus.Close()
	}
	fx := newFixture(f)
	pol := fx.planner.Policy()
	cfg := fx.planner.Config
	f.Fuzz(func(t *testing.T, body []byte) {
		var req api.PlanRequest
		if err := api.Decode(bytes.NewReader(body), &req); err != nil {
			return // refused by the server before planning (rule request.json)
		}
		ctx := context.Background()
		res, err := fx.planner.Plan(ctx, req)
		if err != nil {
			var apiErr *api.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("refusal is not an API error: %v", err)
			}
			switch apiErr.Code {
			case api.CodeInvalidRequest, api.CodePolicyDenied, api.CodeNotFound, api.CodeConflict:
			default:
				t.Fatalf("refusal with code %s: %v", apiErr.Code, apiErr)
			}
			if apiErr.Message == "" {
				t.Fatalf("refusal without a message: %+v", apiErr)
			}
			return
		}
		own := []string{
			filepath.Join(cfg.Tenants.Root, req.Tenant) + "/", filepath.Join(cfg.Tenants.ConfigRoot, req.Tenant) + "/",
			filepath.Join(cfg.Systemd.UnitDir, "missioncontrol-gateway@"), filepath.Join(cfg.SudoersDir, "missioncontrol-"),
		}
		for i, st := range res.Plan.Steps {
			if st.Path != "" && filepath.Clean(st.Path) != st.Path {
				t.Fatalf("step %d path %q is not clean", i, st.Path)
			}
			if st.Path != "" && !hasAnyPrefix(st.Path+"/", own) {
				t.Fatalf("step %d (%s) touches %s outside tenant %q", i, st.Summary, st.Path, req.Tenant)
			}
			if len(st.Argv) > 0 && !filepath.IsAbs(st.Argv[0]) {
				t.Fatalf("step %d runs %q", i, st.Argv)
			}
			if d := policy.Evaluate(pol, st); !d.Allowed {
				t.Fatalf("step %d (%s) is in the plan but the policy denies it: %+v", i, st.Summary, d)
			}
		}
		again, err := fx.planner.Plan(ctx, req)
		if err != nil || again.Plan.Digest != res.Plan.Digest {
			t.Fatalf("planning again: %v, digest %s then %s", err, res.Plan.Digest, again.Plan.Digest)
		}
	})
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
