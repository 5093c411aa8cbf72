package e2e_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/missioncontrol/terraform-provider-missioncontrol/executor/api"
)

// The hostile input corpus: requests that must each be refused with a clear
// error. testdata/hostile/corpus.jsonl holds it, one case per line, made by
// hostileCorpus (go test ./executor/e2e -run TestHostileCorpusFile
// -update-corpus rewrites it); TestHostileInputs posts every case to a real
// executor in a throwaway host.

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/hostile/corpus.jsonl from hostileCorpus")

const corpusFile = "testdata/hostile/corpus.jsonl"

// hostileCase is one request and how it must be refused. Body is the JSON
// of a PlanRequest unless Raw is set (bodies that are not valid JSON of
// one). The submit (POST /v1/jobs) of the same body with a digest is
// refused the same way.
type hostileCase struct {
	Name   string          `json:"name"`
	Group  string          `json:"group"`
	Body   json.RawMessage `json:"body,omitempty"`
	Raw    string          `json:"raw,omitempty"`
	Status int             `json:"status"`
	Code   api.Code        `json:"code"`
	Rule   string          `json:"rule,omitempty"`
	Want   string          `json:"want"` // a fragment of the error message
	// Pad, when set, replaces padMarker in the body with that many 'A's,
	// so that the file stays small while the request is large.
	Pad int `json:"pad,omitempty"`
}

const padMarker = "@@PAD@@"

// body is the request body the case sends.
func (c hostileCase) body() []byte {
	b := []byte(c.Raw)
	if len(c.Body) > 0 {
		b = c.Body
	}
	if c.Pad > 0 {
		b = bytes.Replace(b, []byte(padMarker), bytes.Repeat([]byte("A"), c.Pad), 1)
	}
	return b
}

// The corpus runs against a host with the registered tenant corpusBase
// (gateway port corpusBasePort) and a listener on corpusBusyPort+2.
const (
	corpusBase     = "hzbase"
	corpusBasePort = 24000
	corpusBusyPort = 24980
)

func hostileCorpus() []hostileCase {
	var cs []hostileCase
	add := func(group, name string, req any, status int, code api.Code, rule, want string) {
		b, err := json.Marshal(req)
		if err != nil {
			panic(err)
		}
		cs = append(cs, hostileCase{Name: name, Group: group, Body: b, Status: status, Code: code, Rule: rule, Want: want})
	}
	raw := func(group, name, body string, status int, code api.Code, rule, want string) {
		cs = append(cs, hostileCase{Name: name, Group: group, Raw: body, Status: status, Code: code, Rule: rule, Want: want})
	}
	spec := func(f func(*api.TenantSpec)) api.TenantSpec {
		s := api.TenantSpec{Name: "hzcase", Environment: api.EnvDevelopment}
		f(&s)
		return s
	}
	tenant := func(s api.TenantSpec) api.PlanRequest { return tenantChange(s) }
	denied := func(group, name string, s api.TenantSpec, rule, want string) {
		add(group, name, tenant(s), 403, api.CodePolicyDenied, rule, want)
	}
	invalid := func(group, name string, req api.PlanRequest, want string) {
		add(group, name, req, 400, api.CodeInvalidRequest, "", want)
	}

	// Tenant names: traversal, case, length, control bytes, look-alikes,
	// shell syntax, reserved users.
	for _, n := range []string{
		"../x", "..", ".", "a/b", "/etc", "../../etc/passwd", "x/..", "Acme", "ACME", "1acme", "-acme", "a",
		strings.Repeat("a", 30), strings.Repeat("a", 300), "acme\x00", "ac\x00me", "acme\n", "acme\r", "acme\t", "acme ", " acme", "ac me",
		"acme;rm", "acme$(id)", "acme`id`", "acme|x", "acme&", "acme*", "acme?", "acme_x", "acme.x", "acme:x", "acme@x",
		"\u0430cme", "acm\u0435", "\uff41cme", "acme\u200b", "acme\u0301", "\u202eemca", "acm\u00e9", "%2e%2e", "..%2f",
		"acme\\x", "mc-acme\n" + "root",
	} {
		denied("names", fmt.Sprintf("name %q", n), spec(func(s *api.TenantSpec) { s.Name = n }), "names.pattern", "must match")
	}
	for _, n := range []string{"root", "admin", "daemon", "bin", "sys", "nobody", "missioncontrol", "systemd", "sudo"} {
		denied("reserved", "reserved "+n, spec(func(s *api.TenantSpec) { s.Name = n }), "names.reserved", "is reserved")
	}
	invalid("names", "empty name", tenant(spec(func(s *api.TenantSpec) { s.Name = "" })), "tenant is required")
	invalid("names", "spec name differs from request", api.PlanRequest{Tenant: "hzcase", Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionApply, Tenant: &api.TenantSpec{Name: "root", Environment: api.EnvDevelopment}}}},
		`differs from the request's tenant`)

	// Display name, labels, environment.
	for name, v := range map[string]string{"newline": "Acme\nEvil", "NUL": "Acme\x00", "escape": "Acme\x1b[31m", "DEL": "Acme\x7f",
		"over-long": strings.Repeat("x", 257)} {
		denied("display", "display name "+name, spec(func(s *api.TenantSpec) { s.DisplayName = v }), "display_name", "display name must be at most")
	}
	denied("display", "display name 100k", spec(func(s *api.TenantSpec) { s.DisplayName = padMarker }), "display_name", "display name must be at most")
	cs[len(cs)-1].Pad = 100000
	for name, l := range map[string]map[string]string{
		"empty key": {"": "x"}, "newline key": {"a\nb": "x"}, "NUL value": {"a": "x\x00"}, "newline value": {"a": "x\ny"},
		"long key": {strings.Repeat("k", 64): "x"}, "long value": {"a": strings.Repeat("v", 257)},
	} {
		denied("labels", "label "+name, spec(func(s *api.TenantSpec) { s.Labels = l }), "labels", "label")
	}
	many := map[string]string{}
	for i := 0; i < 65; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	denied("labels", "65 labels", spec(func(s *api.TenantSpec) { s.Labels = many }), "labels", "at most 64 labels")
	for _, env := range []string{"", "prod", "Production", "development\n", "test", "development "} {
		denied("environment", fmt.Sprintf("environment %q", env), spec(func(s *api.TenantSpec) { s.Environment = api.Environment(env) }), "environments", "is not in environments")
	}

	// Ports: out of range, off the grid, in use, taken.
	for _, p := range []int{1, 22, 80, 443, 1023, 1024, 8080, 19980, 19999, 30000, 65535, 65536, 99999999, -1, -20000} {
		denied("ports", fmt.Sprintf("port %d", p), spec(func(s *api.TenantSpec) { s.GatewayPort = p }), "ports.range", "are outside")
	}
	denied("ports", "port 29996 (base+4 beyond the range)", spec(func(s *api.TenantSpec) { s.GatewayPort = 29996 }), "ports.range", "are outside")
	for _, p := range []int{20001, 20010, 24019} {
		denied("ports", fmt.Sprintf("port %d off the grid", p), spec(func(s *api.TenantSpec) { s.GatewayPort = p }), "ports.stride", "is not on the 20-port grid")
	}
	denied("ports", "port of another tenant", spec(func(s *api.TenantSpec) { s.GatewayPort = corpusBasePort }), "ports.unique", "is allocated to tenant")
	denied("ports", "port in use on the host", spec(func(s *api.TenantSpec) { s.GatewayPort = corpusBusyPort }), "ports.in_use", "is already in use")

	// Limits.
	for name, l := range map[string]api.Limits{
		"negative memory": {MemoryMaxMB: -1}, "tiny memory": {MemoryMaxMB: 1}, "huge memory": {MemoryMaxMB: 1 << 30},
		"negative cpu": {CPUQuotaPercent: -50}, "huge cpu": {CPUQuotaPercent: 1000000}, "negative tasks": {TasksMax: -1},
		"tiny tasks": {TasksMax: 1}, "huge tasks": {TasksMax: 1 << 31},
	} {
		denied("limits", "limits "+name, spec(func(s *api.TenantSpec) { s.Limits = l }), "limits", "must be 0 (the default) or")
	}

	// sudo commands: wildcards, sudoers syntax, relative paths, not allowed.
	for _, c := range []string{"/usr/bin/systemctl *", "/usr/bin/systemctl restart missioncontrol-gateway@*", "/usr/bin/system?tl", "/usr/bin/[s]ystemctl"} {
		denied("sudo", fmt.Sprintf("sudo %q", c), spec(func(s *api.TenantSpec) { s.SudoCommands = []string{c} }), "sudo.commands", "wildcards are not allowed")
	}
	ok := "/usr/bin/systemctl restart missioncontrol-gateway@hzcase.service"
	for _, c := range []string{ok + "\nroot ALL=(ALL) NOPASSWD: ALL", ok + ", /bin/sh", ok + " : ALL", "ALL=(ALL) ALL", ok + " \\", ok + " #x",
		`"/bin/sh"`, ok + "\x00", ok + "\r", ok + "\t", strings.Repeat("/a", 600)} {
		denied("sudo", fmt.Sprintf("sudo %q", c), spec(func(s *api.TenantSpec) { s.SudoCommands = []string{c} }), "sudo.commands", "without control characters or any of")
	}
	for _, c := range []string{"systemctl restart missioncontrol-gateway@hzcase.service", "/usr/bin/../bin/sh", "/usr/bin//systemctl restart x",
		"/usr/bin/systemctl  restart missioncontrol-gateway@hzcase.service", ok + " ", "", "./sh"} {
		denied("sudo", fmt.Sprintf("sudo %q", c), spec(func(s *api.TenantSpec) { s.SudoCommands = []string{c} }), "sudo.commands", "must be an absolute, clean program path")
	}
	for _, c := range []string{"/bin/sh", "/usr/bin/sudoedit /etc/shadow", "/usr/bin/systemctl restart sshd.service", ok + " /etc/shadow",
		"/usr/bin/systemctl stop missioncontrol-gateway@hzcase.service", "/usr/bin/env bash"} {
		denied("sudo", fmt.Sprintf("sudo %q", c), spec(func(s *api.TenantSpec) { s.SudoCommands = []string{c} }), "sudo.commands", "matches no sudo.allow_commands pattern")
	}
	var cmds []string
	for i := 0; i < 33; i++ {
		cmds = append(cmds, ok)
	}
	denied("sudo", "33 sudo commands", spec(func(s *api.TenantSpec) { s.SudoCommands = cmds }), "sudo.commands", "at most 32 sudo commands")

	// Model providers and heartbeat: rendered into openclaw.json.
	mp := func(f func(*api.ModelProvider)) api.TenantSpec {
		p := api.ModelProvider{Name: "fake", BaseURL: "http://127.0.0.1:18999/v1", API: "openai-completions", Models: []api.Model{{ID: "m1"}}}
		f(&p)
		return spec(func(s *api.TenantSpec) { s.ModelProviders = []api.ModelProvider{p} })
	}
	for name, f := range map[string]func(*api.ModelProvider){
		"provider name upper": func(p *api.ModelProvider) { p.Name = "Fake" }, "provider name traversal": func(p *api.ModelProvider) { p.Name = "../x" },
		"provider name empty": func(p *api.ModelProvider) { p.Name = "" }, "provider name newline": func(p *api.ModelProvider) { p.Name = "fake\nx" },
	} {
		invalid("providers", name, tenant(mp(f)), "must match")
	}
	for name, u := range map[string]string{"file URL": "file:///etc/shadow", "credentials": "http://user:pw@127.0.0.1:1/v1", "query": "http://127.0.0.1:1/v1?x=1",
		"fragment": "http://h/#x", "javascript": "javascript:alert(1)", "env substitution": "http://${HOME}/v1", "newline": "http://h/v1\nx", "no host": "http:///v1", "ftp": "ftp://h/v1"} {
		invalid("providers", "base_url "+name, tenant(mp(func(p *api.ModelProvider) { p.BaseURL = u })), "must be an http(s) URL")
	}
	invalid("providers", "unknown api", tenant(mp(func(p *api.ModelProvider) { p.API = "grpc" })), "must be one of")
	invalid("providers", "no models", tenant(mp(func(p *api.ModelProvider) { p.Models = nil })), "at least one model is required")
	invalid("providers", "model id with space", tenant(mp(func(p *api.ModelProvider) { p.Models = []api.Model{{ID: "a b"}} })), "without spaces or control characters")
	invalid("providers", "model id newline", tenant(mp(func(p *api.ModelProvider) { p.Models = []api.Model{{ID: "a\nb"}} })), "without spaces or control characters")
	invalid("providers", "duplicate model", tenant(mp(func(p *api.ModelProvider) { p.Models = []api.Model{{ID: "m"}, {ID: "m"}} })), "duplicate model id")
	invalid("providers", "duplicate provider", tenant(spec(func(s *api.TenantSpec) {
		p := api.ModelProvider{Name: "fake", BaseURL: "http://127.0.0.1:1/v1", API: "openai-completions", Models: []api.Model{{ID: "m"}}}
		s.ModelProviders = []api.ModelProvider{p, p}
	})), "duplicate provider name")
	var providers []api.ModelProvider
	for i := 0; i < 17; i++ {
		providers = append(providers, api.ModelProvider{Name: fmt.Sprintf("p%d", i), BaseURL: "http://127.0.0.1:1/v1", API: "openai-completions", Models: []api.Model{{ID: "m"}}})
	}
	denied("providers", "17 providers", spec(func(s *api.TenantSpec) { s.ModelProviders = providers }), "model_providers", "at most 16 model providers")
	for name, tc := range map[string]struct {
		keys map[string]string
		want string
	}{
		"api key of a bad provider name": {map[string]string{"fake\nEVIL": "k"}, "must match"},
		"empty api key":                  {map[string]string{"fake": ""}, "must not be empty"},
		"api key with a newline":         {map[string]string{"fake": "sk-1\nMISSIONCONTROL_X=1"}, "must not contain a newline"},
	} {
		r := tenant(mp(func(*api.ModelProvider) {}))
		r.Changes[0].APIKeys = tc.keys
		invalid("providers", name, r, tc.want)
	}
	for _, h := range []string{"forever", "1y", "-1m", "30m; rm -rf /", "${HOME}", "30m\n", "1000000000h"} {
		invalid("heartbeat", fmt.Sprintf("heartbeat %q", h), tenant(spec(func(s *api.TenantSpec) { s.HeartbeatEvery = h })), "must be a duration")
	}

	// Workspaces of the registered tenant: names, seeded file names
	// (traversal, hidden, absolute), model.
	ws := func(w api.WorkspaceSpec) api.PlanRequest {
		return api.PlanRequest{Tenant: corpusBase, Changes: []api.Change{{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &w}}}
	}
	for _, n := range []string{"../x", "..", "", "Main", "1main", "-main", "ma/in", "main\n", "m\x00", "m\u0430in", strings.Repeat("w", 32), "main ", "w_1", "w.1"} {
		add("workspaces", fmt.Sprintf("workspace name %q", n), ws(api.WorkspaceSpec{Name: n}), 403, api.CodePolicyDenied, "workspaces.name", "must match")
	}
	for _, f := range []string{"../../../etc/shadow", "/etc/shadow", "a/b", "..", ".", ".bashrc", ".openclaw", "-rf", `a\b`, "x\n", "x\x00", "x\r",
		strings.Repeat("f", 129), "", "AGENTS.md/", "..AGENTS.md", "x/../../../etc/passwd"} {
		add("workspace files", fmt.Sprintf("file name %q", f), ws(api.WorkspaceSpec{Name: "main", Files: map[string]string{f: "pwned\n"}}),
			403, api.CodePolicyDenied, "workspaces.files", "must be a plain, visible name")
	}
	files := map[string]string{}
	for i := 0; i < 101; i++ {
		files[fmt.Sprintf("f%d.md", i)] = "x"
	}
	add("workspace files", "101 files", ws(api.WorkspaceSpec{Name: "main", Files: files}), 403, api.CodePolicyDenied, "workspaces.files", "at most 100 seeded files")
	add("workspaces", "model newline", ws(api.WorkspaceSpec{Name: "main", Model: "fake/m\nx"}), 403, api.CodePolicyDenied, "workspaces.model", "without control characters")
	add("workspaces", "model over-long", ws(api.WorkspaceSpec{Name: "main", Model: strings.Repeat("m", 257)}), 403, api.CodePolicyDenied, "workspaces.model", "at most 256")
	invalid("workspaces", "model of no declared provider", ws(api.WorkspaceSpec{Name: "main", Model: "evil/model"}), "of a declared provider model")
	var wsChanges []api.Change
	for i := 0; i < 101; i++ {
		wsChanges = append(wsChanges, api.Change{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: fmt.Sprintf("w%d", i)}})
	}
	add("workspaces", "101 workspaces", api.PlanRequest{Tenant: corpusBase, Changes: wsChanges}, 403, api.CodePolicyDenied, "workspaces.count", "at most 100 workspaces")
	for _, n := range []string{"../../../etc", "/etc", "Main", ""} {
		invalid("workspaces", fmt.Sprintf("destroy workspace %q", n), api.PlanRequest{Tenant: corpusBase, Changes: []api.Change{
			{Kind: api.ObjectWorkspace, Action: api.ActionDestroy, Name: n}}}, "must be a workspace name")
	}

	// Service environment: keys, values with newlines (a new unit
	// directive), reserved keys, kinds.
	svc := func(env map[string]string) api.PlanRequest {
		return api.PlanRequest{Tenant: corpusBase, Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionApply,
			Service: &api.ServiceSpec{Kind: api.ServiceGateway, Enabled: true, Environment: env}}}}
	}
	for _, k := range []string{"A=B", "1A", "", "A B", "A\nB", "A-B", "A.B", "\u0410", strings.Repeat("K", 129), "A\x00"} {
		add("service env", fmt.Sprintf("env key %q", k), svc(map[string]string{k: "v"}), 403, api.CodePolicyDenied, "services.environment", "must be an identifier")
	}
	for _, v := range []string{"a\nExecStartPre=/bin/sh -c id", "a\r\nUser=root", "x\x00y", "\x1b]0;x\x07", strings.Repeat("v", 4097), "a\n"} {
		add("service env", fmt.Sprintf("env value %q", trunc(v)), svc(map[string]string{"MY_VAR": v}), 403, api.CodePolicyDenied, "services.environment", "without control characters")
	}
	for _, k := range []string{"HOME", "PORT", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_TOKEN", "MISSIONCONTROL_PROVIDER_FAKE_API_KEY", "NODE_COMPILE_CACHE"} {
		invalid("service env", "reserved env key "+k, svc(map[string]string{k: "/tmp/x"}), "key is set by the executor")
	}
	invalid("service env", "lower-case env key", svc(map[string]string{"path": "/tmp"}), "must match")
	for _, k := range []string{"cron", "ssh", "../gateway", "Gateway"} {
		invalid("services", "service kind "+k, api.PlanRequest{Tenant: corpusBase, Changes: []api.Change{{Kind: api.ObjectService, Action: api.ActionApply,
			Service: &api.ServiceSpec{Kind: api.ServiceKind(k), Enabled: true}}}}, `the only service kind is "gateway"`)
	}
	for _, n := range []string{"../../etc/passwd", "sshd", ""} {
		invalid("services", fmt.Sprintf("destroy service %q", n), api.PlanRequest{Tenant: corpusBase, Changes: []api.Change{
			{Kind: api.ObjectService, Action: api.ActionDestroy, Name: n}}}, "must be \"gateway\"")
	}

	// Request structure.
	invalid("request", "no changes", api.PlanRequest{Tenant: "hzcase"}, "at least one change is required")
	invalid("request", "unknown kind", api.PlanRequest{Tenant: "hzcase", Changes: []api.Change{{Kind: "user", Action: api.ActionApply}}}, "unknown kind")
	invalid("request", "unknown action", api.PlanRequest{Tenant: "hzcase", Changes: []api.Change{{Kind: api.ObjectTenant, Action: "chown"}}}, "unknown action")
	invalid("request", "apply without spec", api.PlanRequest{Tenant: "hzcase", Changes: []api.Change{{Kind: api.ObjectTenant, Action: api.ActionApply}}}, "needs its spec")
	invalid("request", "decommission with another change", api.PlanRequest{Tenant: corpusBase, Changes: []api.Change{
		{Kind: api.ObjectTenant, Action: api.ActionDestroy}, {Kind: api.ObjectWorkspace, Action: api.ActionDestroy, Name: "main"}}}, "must be the only change")
	add("request", "workspace of an unknown tenant", api.PlanRequest{Tenant: "hznobody", Changes: []api.Change{
		{Kind: api.ObjectWorkspace, Action: api.ActionApply, Workspace: &api.WorkspaceSpec{Name: "main"}}}}, 404, api.CodeNotFound, "", "is not registered on this host")

	// JSON: unknown fields, wrong types, trailing data, depth, size.
	base := `{"tenant":"hzcase","changes":[{"kind":"tenant","action":"apply","tenant":%s}]}`
	for name, t := range map[string]string{
		"unknown spec field":     `{"name":"hzcase","environment":"development","uid":0}`,
		"misspelt field":         `{"name":"hzcase","environment":"development","gateway_prot":20020}`,
		"port as string":         `{"name":"hzcase","environment":"development","gateway_port":"20020"}`,
		"port as float":          `{"name":"hzcase","environment":"development","gateway_port":20020.5}`,
		"port overflow":          `{"name":"hzcase","environment":"development","gateway_port":1e400}`,
		"name as number":         `{"name":1,"environment":"development"}`,
		"labels as list":         `{"name":"hzcase","environment":"development","labels":["a"]}`,
		"suspended as string":    `{"name":"hzcase","environment":"development","suspended":"yes"}`,
		"limits as number":       `{"name":"hzcase","environment":"development","limits":5}`,
		"sudo as string":         `{"name":"hzcase","environment":"development","sudo_commands":"/bin/sh"}`,
		"label value as object":  `{"name":"hzcase","environment":"development","labels":{"a":{"b":1}}}`,
		"spec as string":         `"hzcase"`,
		"nested unknown":         `{"name":"hzcase","environment":"development","limits":{"memory_max_mb":64,"swap":1}}`,
		"api_keys inside tenant": `{"name":"hzcase","environment":"development","api_keys":{"fake":"k"}}`,
	} {
		raw("json", name, fmt.Sprintf(base, t), 400, api.CodeInvalidRequest, "request.json", "malformed JSON body")
	}
	for name, body := range map[string]string{
		"changes as object": `{"tenant":"hzcase","changes":{}}`, "top-level array": `[]`, "top-level string": `"x"`,
		"trailing object": `{"tenant":"hzcase","changes":[]} {}`, "trailing garbage": `{"tenant":"hzcase","changes":[]}x`,
		"truncated": `{"tenant":"hzcase","changes":[`, "empty": ``, "BOM": "\ufeff{}", "single quotes": `{'tenant':'x'}`,
		"deep nesting":  strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"unknown field": `{"tenant":"hzcase","changes":[],"owner":"root"}`, "comment": `{"tenant":"hzcase" /* x */}`,
		"NaN": `{"tenant":"hzcase","changes":[{"kind":"tenant","action":"apply","tenant":{"name":"hzcase","gateway_port":NaN}}]}`,
	} {
		raw("json", name, body, 400, api.CodeInvalidRequest, "request.json", "malformed JSON body")
	}
	raw("size", "oversized body (1 MiB + 1)", `{"tenant":"hzcase","changes":[],"x":"`+padMarker+`"}`,
		413, api.CodeInvalidRequest, "request.body_size", "larger than 1048576 bytes")
	cs[len(cs)-1].Pad = api.MaxBodyBytes
	raw("size", "oversized spec (2 MiB label)", fmt.Sprintf(base, `{"name":"hzcase","labels":{"a":"`+padMarker+`"}}`),
		413, api.CodeInvalidRequest, "request.body_size", "larger than 1048576 bytes")
	cs[len(cs)-1].Pad = 2 << 20
	raw("size", "oversized spec (1 MiB key)", fmt.Sprintf(base, `{"name":"hzcase","labels":{"`+padMarker+`":"x"}}`),
		413, api.CodeInvalidRequest, "request.body_size", "larger than 1048576 bytes")
	cs[len(cs)-1].Pad = 1 << 20
	// Several groups were built from maps: order the file by group and name.
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Group != cs[j].Group {
			return cs[i].Group < cs[j].Group
		}
		return cs[i].Name < cs[j].Name
	})
	return cs
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:20] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// encodeCorpus renders the corpus one case per line.
func encodeCorpus(cs []hostileCase) []byte {
	var b bytes.Buffer
	for _, c := range cs {
		line, err := api.CanonicalJSON(c)
		if err != nil {
			panic(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func loadCorpus(t *testing.T) []hostileCase {
	t.Helper()
	b, err := os.ReadFile(corpusFile)
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	var cs []hostileCase
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c hostileCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("%s:%d: %v", corpusFile, i+1, err)
		}
		cs = append(cs, c)
	}
	return cs
}

// TestHostileCorpusFile checks that the corpus file is what hostileCorpus
// makes (or rewrites it with -update-corpus), that it has at least 200
// cases with unique names, and that each says how it must be refused.
func TestHostileCorpusFile(t *testing.T) {
	want := encodeCorpus(hostileCorpus())
	if *updateCorpus {
		if err := os.MkdirAll(filepath.Dir(corpusFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; rewrite it: go test ./executor/e2e -run TestHostileCorpusFile -update-corpus", corpusFile)
	}
	cs := loadCorpus(t)
	if len(cs) < 200 {
		t.Fatalf("corpus has %d cases, want at least 200", len(cs))
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Name] {
			t.Errorf("case name %q used twice", c.Name)
		}
		seen[c.Name] = true
		if c.Status < 400 || c.Code == "" || c.Want == "" || (len(c.Body) > 0 && c.Raw != "") {
			t.Errorf("case %q does not say how it is refused: %+v", c.Name, c)
		}
	}
}
